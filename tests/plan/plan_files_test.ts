/**
 * Malformed and inconsistent saved plans (`apply plan.json`), starting from
 * real plans (the golden plans of the examples): each is refused with the
 * file, the JSON path of the problem and what is wrong there.
 *
 * @module
 */
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { applyPlan } from "../../src/apply/apply.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { loadManifest } from "../../src/manifest/load.ts";
import { decodePlan, encodePlan, MAX_PLAN_BYTES } from "../../src/plan/codec.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";

// deno-lint-ignore no-explicit-any -- a plan as raw JSON, mutated freely to break it
type Json = any;

const GOLDEN = new URL("../testdata/examples/", import.meta.url);
/** Namespaces h1, h2, router, upstream; veths, a bridge, addresses and routes. */
const VETH = Deno.readTextFileSync(new URL("veth_router.plan.json", GOLDEN));
/** ipvlan slaves ipvl0 (ns0) and ipvl1 (ns1) on root/eth0, with default routes. */
const IPVLAN = Deno.readTextFileSync(new URL("howto_two_namespaces.plan.json", GOLDEN));

interface Case {
  name: string;
  base?: string;
  text: (p: Json) => string;
  expect: RegExp;
}

const mutate = (change: (p: Json) => void) => (p: Json) => {
  change(p);
  return JSON.stringify(p, null, 2);
};
const change = (p: Json, address: string): number => {
  const i = p.changes.findIndex((c: Json) => c.address === address);
  assert.ok(i >= 0, address);
  return i;
};
const step = (p: Json, address: string): number => {
  const i = p.steps.findIndex((s: Json) => s.change === address);
  assert.ok(i >= 0, address);
  return i;
};

const CASES: Case[] = [
  {
    name: "truncated JSON",
    text: (p) => JSON.stringify(p, null, 2).slice(0, 500),
    expect: /: not valid JSON \(.*JSON.*\)/,
  },
  {
    name: "an array instead of an object",
    text: () => "[1]",
    expect: /: expected a JSON object, got an array/,
  },
  {
    name: "a major format version this netform does not read",
    text: mutate((p) => (p.formatVersion = "2.0")),
    expect: /: plan format 2\.0 is unsupported; this netform reads plan formats 1\.0, 1\.1, 1\.2/,
  },
  {
    name: "a newer minor format version",
    text: mutate((p) => (p.formatVersion = "1.3")),
    expect: /: plan format 1\.3 is newer; this netform reads plan formats 1\.0, 1\.1, 1\.2/,
  },
  {
    name: "a format version that is not a version",
    text: mutate((p) => (p.formatVersion = 1)),
    expect: /: formatVersion: 1 is not a version/,
  },
  {
    name: "a wrong type deep in a step",
    text: mutate((p) => (p.steps[0].operation.namespace = 5)),
    expect: /: steps\[0\]\.operation\.namespace: expected string, got number 5/,
  },
  {
    name: "an unknown field in a change",
    text: mutate((p) => (p.changes[3].note = "x")),
    expect: /: changes\[3\]: unknown key "note"/,
  },
  {
    name: "an unknown operation",
    text: mutate((p) => (p.steps[2].operation.op = "link.rename")),
    expect: /: steps\[2\]\.operation\.op: unknown operation "link\.rename"/,
  },
  {
    name: "a step of a change the plan does not have",
    text: mutate((p) => (p.steps[1].change = "namespace.elsewhere")),
    expect: /: steps\[1\]\.change: no change has the address "namespace\.elsewhere"/,
  },
  {
    name: "a summary that does not count the changes",
    text: mutate((p) => (p.summary.add += 1)),
    expect: /: summary\.add: is \d+ but the changes count \d+/,
  },
  {
    name: "a change whose type disagrees with its address",
    text: mutate((p) => (p.changes[change(p, "link.h1.eth0")].type = "route")),
    expect: /: changes\[\d+\]\.type: is "route" but the address "link\.h1\.eth0" is of a link/,
  },
  {
    name: "a change whose namespace disagrees with its address",
    text: mutate((p) => (p.changes[change(p, "link.h1.eth0")].namespace = "h2")),
    expect:
      /: changes\[\d+\]\.namespace: is "h2" but the address "link\.h1\.eth0" is in namespace "h1"/,
  },
  {
    name: "a create with a before state",
    text: mutate((p) => (p.changes[change(p, "namespace.h1")].before = { name: "h1" })),
    expect: /: changes\[\d+\]\.before: is set, but a "create" has no before state/,
  },
  {
    name: "an update without an after state",
    text: mutate((p) => (p.changes[change(p, "link.h1.lo")].after = null)),
    expect: /: changes\[\d+\]\.after: is null, but a change of action "update" has an after state/,
  },
  {
    name: "a cascade of a change the plan does not have",
    base: IPVLAN,
    text: mutate((p) => (p.changes[change(p, "link.ns0.lo")].cascadeOf = "namespace.gone")),
    expect:
      /: changes\[\d+\]\.cascadeOf: names "namespace\.gone", which is no other change of the plan/,
  },
  {
    name: "a cascaded change that also has steps",
    base: IPVLAN,
    text: mutate((p) => (p.changes[change(p, "link.ns0.lo")].cascadeOf = "namespace.ns0")),
    expect:
      /: changes\[\d+\]\.cascadeOf: is set, so the kernel removes this object with "namespace\.ns0", but the plan also has steps for it/,
  },
  {
    name: "an address step filed under another change",
    base: IPVLAN,
    text: mutate((p) => {
      p.steps[step(p, 'address.ns0.ipvl0["192.168.50.10/24"]')].operation.cidr = "192.168.50.99/24";
    }),
    expect:
      /: steps\[\d+\]\.operation: acts on "address\.ns0\.ipvl0\[\\"192\.168\.50\.99\/24\\"\]", but the step belongs to change "address\.ns0\.ipvl0\[\\"192\.168\.50\.10\/24\\"\]"/,
  },
  {
    name: "a namespace step in another namespace than its change",
    text: mutate((p) => (p.steps[step(p, "namespace.h2")].operation.namespace = "h9")),
    expect:
      /: steps\[\d+\]\.operation: acts on "namespace\.h9", but the step belongs to change "namespace\.h2"/,
  },
  {
    name: "a link step filed under a route change",
    base: IPVLAN,
    text: mutate((p) => (p.steps[step(p, "link.ns0.ipvl0")].change = 'route.ns0.main["default"]')),
    expect:
      /: steps\[\d+\]\.operation\.op: "link\.create" acts on a link, but the step belongs to change "route\.ns0\.main\[\\"default\\"\]" \(of type route\)/,
  },
  {
    name: "an address on a link missing from its namespace",
    base: IPVLAN,
    text: mutate((p) => delete p.desired.namespaces.ns0.links.ipvl0),
    expect:
      /: steps\[\d+\]\.operation\.link: adds an address to "ns0\/ipvl0", which the desired state does not have/,
  },
  {
    name: "a desired slave whose parent is missing",
    base: IPVLAN,
    text: mutate((p) => (p.desired.namespaces.ns1.links.ipvl1.parent.name = "eth7")),
    expect:
      /: desired\.namespaces\.ns1\.links\.ipvl1\.parent: names "root\/eth7", which the desired state does not have/,
  },
  {
    name: "a desired veth whose peer does not point back",
    text: mutate((
      p,
    ) => (p.desired.namespaces.h2.links.eth0.peer = { namespace: "router", name: "r-h1" })),
    expect:
      /: desired\.namespaces\.h2\.links\.eth0\.peer: names "router\/r-h1", whose peer does not point back to "h2\/eth0"/,
  },
  {
    name: "a desired port whose bridge is missing",
    text: mutate((p) => (p.desired.namespaces.router.links["r-h1"].master = "br9")),
    expect:
      /: desired\.namespaces\.router\.links\["r-h1"\]\.master: names "br9", which namespace "router" does not have in the desired state/,
  },
  {
    name: "a desired route through a missing link",
    base: IPVLAN,
    text: mutate((p) => (p.desired.namespaces.ns0.routes[0].dev = "ipvl9")),
    expect:
      /: desired\.namespaces\.ns0\.routes\[0\]\.dev: names "ipvl9", which namespace "ns0" does not have in the desired state/,
  },
  {
    name: "a file larger than the limit",
    text: (p) => JSON.stringify(p) + " ".repeat(MAX_PLAN_BYTES),
    expect: /: \(top level\): the file is larger than 64 MiB/,
  },
];

Deno.test("the golden plans the cases start from decode", () => {
  decodePlan(VETH, "veth.json");
  decodePlan(IPVLAN, "ipvlan.json");
});

Deno.test("the planner's apply, re-apply and destroy plans of every example pass the checks", async () => {
  const examples = [...Deno.readDirSync(new URL("../../examples/", import.meta.url))]
    .filter((e) => e.name.endsWith(".ts")).map((e) => e.name).sort();
  assert.ok(examples.length >= 10);
  for (const name of examples) {
    const topology = await loadManifest(
      new URL(`../../examples/${name}`, import.meta.url).pathname,
    );
    const driver = await SimDriver.open();
    const apply = plan(topology, await driver.observe());
    assert.deepEqual(decodePlan(encodePlan(apply), name), apply);
    await applyPlan(apply, driver);
    const again = plan(topology, await driver.observe());
    assert.deepEqual(decodePlan(encodePlan(again), name), again);
    const destroy = planDestroy(topology.name, await driver.observe());
    assert.ok(destroy.changes.some((c) => c.cascadeOf !== undefined), `${name}: no cascade`);
    assert.deepEqual(decodePlan(encodePlan(destroy), name), destroy);
  }
});

Deno.test("a malformed or inconsistent plan is refused with the JSON path of the problem", async (t) => {
  assert.ok(CASES.length >= 15);
  for (const c of CASES) {
    await t.step(c.name, () => {
      const text = c.text(JSON.parse(c.base ?? VETH));
      assert.throws(() => decodePlan(text, "plan.json"), (e: unknown) => {
        assert.ok(e instanceof UsageError, `expected a UsageError, got ${e}`);
        assert.ok(e.message.startsWith(`Cannot read plan "plan.json": `), e.message);
        assert.match(e.message, c.expect);
        assert.match(e.message, /re-run `netform plan --out` to save a new plan$/);
        return true;
      });
    });
  }
});
