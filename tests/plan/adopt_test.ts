/**
 * Adopting what `ip` built, on the simulator as each kernel release behaves: before Linux 6.4 an
 * IPv4 replace keeps the address's protocol, so netform deletes the address and adds it again,
 * marked; from 6.4 on, and for IPv6 always, a replace marks it in place. Either way the apply
 * converges, the next plan is empty, and destroy leaves only what was never the topology's.
 */
import assert from "node:assert/strict";
import { applyPlan } from "../../src/apply/apply.ts";
import { restoreOperations } from "../../src/apply/restore.ts";
import { preparePlan } from "../../src/apply/prepare.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { SimKernel } from "../../src/drivers/sim/kernel.ts";
import {
  defaultHost,
  parseSnapshot,
  serializeSnapshot,
  toSnapshot,
} from "../../src/drivers/sim/snapshot.ts";
import { UsageError } from "../../src/errors.ts";
import { FailingDriver } from "../_failing_driver.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import type { TopologyInput } from "../../src/manifest/topology.ts";
import {
  marksIPv4AddressInPlace,
  parseRelease,
  unsupportedKernel,
} from "../../src/model/kernel_release.ts";
import { NETFORM_PROTOCOL } from "../../src/model/names.ts";
import type { Operation } from "../../src/model/operations.ts";
import type { Route } from "../../src/model/state.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";

/** `ip route add` marks its routes `proto boot`. */
const BOOT = 3;

const route = (r: Partial<Route> & { to: string }): Route => ({
  type: "unicast",
  metric: 0,
  table: 254,
  protocol: BOOT,
  ...r,
});

/** A host as the kernel release `release` would be, after `ops` (the `ip` commands). */
function hostAfter(release: string | undefined, ops: Operation[]): SimDriver {
  const state = defaultHost().state;
  if (release !== undefined) state.kernelRelease = release;
  const kernel = new SimKernel(state);
  for (const op of ops) kernel.execute(op);
  return new SimDriver(kernel);
}

/** The HOWTO's section 6, verbatim: (a) to (d) for ns0 and ns1. */
function howto(): Operation[] {
  const ops: Operation[] = [];
  for (const [i, ip] of [[0, "192.168.50.10/24"], [1, "192.168.50.11/24"]] as const) {
    const ns = `ns${i}`;
    const dev = `ipvl${i}`;
    ops.push(
      { op: "namespace.create", namespace: ns },
      {
        op: "link.create",
        link: {
          namespace: ns,
          name: dev,
          kind: "ipvlan",
          up: false,
          parent: { namespace: "root", name: "eth0" },
          ipvlan: { mode: "l2", flags: "bridge" },
        },
      },
      { op: "link.update", namespace: ns, name: dev, changes: { up: true } },
      { op: "link.update", namespace: ns, name: "lo", changes: { up: true } },
      // ip -4 addr add 127.0.0.1 dev lo: a /32 next to the kernel's 127.0.0.1/8
      { op: "address.add", namespace: ns, link: "lo", cidr: "127.0.0.1/32", protocol: 0 },
      { op: "address.add", namespace: ns, link: dev, cidr: ip, protocol: 0 },
      {
        op: "route.add",
        namespace: ns,
        route: route({ to: "0.0.0.0/0", via: "192.168.50.1", dev }),
      },
    );
  }
  return ops;
}

const howtoTopology: TopologyInput = {
  name: "howto",
  namespaces: {
    root: { links: { eth0: { kind: "existing", ipvlan: { mode: "l2" } } } },
    ns0: {
      links: {
        lo: { kind: "loopback" },
        ipvl0: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.50.10/24"] },
      },
      routes: [{ to: "default", via: "192.168.50.1", dev: "ipvl0" }],
    },
    ns1: {
      links: {
        lo: { kind: "loopback" },
        ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.50.11/24"] },
      },
      routes: [{ to: "default", via: "192.168.50.1", dev: "ipvl1" }],
    },
  },
};

/** plan → prepare (foreign side effects) → apply → plan again, as `netform apply` does. */
async function adopt(driver: SimDriver, input: TopologyInput) {
  const topology = validateManifestValue("topology.ts", input);
  const observed = await driver.observe();
  const first = plan(topology, observed);
  preparePlan(first, observed);
  await applyPlan(first, driver);
  const again = plan(topology, await driver.observe());
  return { topology, first, again };
}

const opsOf = (p: ReturnType<typeof plan>) =>
  p.steps.map((s) =>
    `${s.operation.op} ${s.change}${
      "replace" in s.operation && s.operation.replace ? " (replace)" : ""
    }`
  );

Deno.test("the kernel release says whether an IPv4 address can be marked in place", async (t) => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false], // a simulated host: Debian 12's 6.1
    ["5.18.0", false],
    ["6.1.0-28-amd64", false],
    ["6.3.13", false],
    ["6.4.0", true],
    ["6.18.44-fc-v1272", true],
    ["7.0.0", true],
    ["not-a-release", false], // unknown: the way that works everywhere
  ];
  for (const [release, inPlace] of cases) {
    await t.step(`${release ?? "(none)"} → ${inPlace ? "in place" : "delete and add"}`, () => {
      assert.equal(marksIPv4AddressInPlace(release), inPlace);
    });
  }
  await t.step("releases before 5.18 are refused, later and unparsable ones are not", () => {
    for (const r of ["5.15.0-91-generic", "4.19.0", "3.10.0-1160.el7.x86_64", "5.17.15"]) {
      assert.match(unsupportedKernel(r) ?? "", /needs Linux 5\.18 or later/, r);
    }
    for (const r of ["5.18.0", "6.1.0", "10.0", "weird"]) {
      assert.equal(unsupportedKernel(r), undefined);
    }
    assert.deepEqual(parseRelease("6.1.0-28-amd64"), { major: 6, minor: 1 });
    assert.equal(parseRelease("61"), undefined);
  });
});

Deno.test("a replace of an existing address keeps an IPv4 protocol before 6.4 and sets IPv6's always", async (t) => {
  const cases: [string | undefined, string, number][] = [
    [undefined, "10.0.0.1/24", 0],
    ["6.1.0", "10.0.0.1/24", 0],
    ["6.3.0", "10.0.0.1/24", 0],
    ["6.4.0", "10.0.0.1/24", NETFORM_PROTOCOL],
    ["6.18.44", "10.0.0.1/24", NETFORM_PROTOCOL],
    [undefined, "fd00::1/64", NETFORM_PROTOCOL],
    ["6.1.0", "fd00::1/64", NETFORM_PROTOCOL],
  ];
  for (const [release, cidr, expected] of cases) {
    await t.step(`${release ?? "(none)"} ${cidr} → protocol ${expected}`, async () => {
      const driver = hostAfter(release, [
        { op: "address.add", namespace: "root", link: "eth0", cidr, protocol: 0 },
        {
          op: "address.add",
          namespace: "root",
          link: "eth0",
          cidr,
          protocol: NETFORM_PROTOCOL,
          replace: true,
        },
      ]);
      const eth0 = (await driver.observe()).namespaces["root"]!.links["eth0"]!;
      assert.equal(eth0.addresses.find((a) => a.cidr === cidr)?.protocol, expected);
    });
  }
});

Deno.test("the HOWTO's own commands are adopted on 6.1 and on 6.4: imports only, then nothing to do", async (t) => {
  for (const release of ["6.1.0-28-amd64", "6.4.0"]) {
    await t.step(release, async () => {
      const driver = hostAfter(release, howto());
      const { topology, first, again } = await adopt(driver, howtoTopology);
      // Everything is imported; the two changes are the namespaces' marks (the alias on lo).
      assert.deepEqual(first.summary, { import: 8, add: 0, change: 2, destroy: 0 });
      assert.deepEqual(
        first.changes.filter((c) => c.action !== "import").map((c) => [c.address, c.reason]),
        [["link.ns0.lo", "alias differ"], ["link.ns1.lo", "alias differ"]],
      );
      const recreated = first.steps.filter((s) => s.operation.op === "address.delete");
      if (marksIPv4AddressInPlace(release)) {
        assert.deepEqual(recreated, []);
      } else {
        // Each slave's only IPv4 address is deleted and added again; the kernel flushes the
        // default route with it, which is added again too.
        assert.deepEqual(recreated.map((s) => s.change), [
          'address.ns0.ipvl0["192.168.50.10/24"]',
          'address.ns1.ipvl1["192.168.50.11/24"]',
        ]);
        const reason = first.changes.find((c) => c.address === recreated[0]!.change)?.reason;
        assert.match(reason ?? "", /deleted and added again, marked as owned \(before Linux 6\.4/);
      }
      assert.deepEqual(again.changes, [], "converged");
      const host = await driver.observe();
      for (const ns of ["ns0", "ns1"]) {
        const n = host.namespaces[ns]!;
        const slave = Object.values(n.links).find((l) => l.kind === "ipvlan")!;
        assert.deepEqual(slave.addresses.map((a) => a.protocol), [NETFORM_PROTOCOL]);
        assert.equal(n.routes.find((r) => r.to === "0.0.0.0/0")?.protocol, NETFORM_PROTOCOL);
        // The loopback's addresses are the namespace's: the /32 the HOWTO added stays unmarked.
        const lo = n.links["lo"]!.addresses;
        assert.equal(lo.find((a) => a.cidr === "127.0.0.1/32")?.protocol, 0);
        assert.ok(lo.every((a) => a.protocol !== NETFORM_PROTOCOL));
      }
      const destroy = planDestroy(topology.name, host);
      await applyPlan(destroy, driver);
      const after = await driver.observe();
      assert.deepEqual(Object.keys(after.namespaces), ["root"]);
      assert.equal(after.namespaces["root"]!.links["eth0"]!.ipvlan, undefined);
    });
  }
});

Deno.test("adopting IPv4 addresses by re-creating them keeps primaries, secondaries and routes right", async (t) => {
  const dummy = (namespace: string, name: string): Operation => ({
    op: "link.create",
    link: { namespace, name, kind: "dummy", up: true },
  });
  const addr = (cidr: string, protocol = 0): Operation => ({
    op: "address.add",
    namespace: "root",
    link: "d0",
    cidr,
    protocol,
  });
  interface Case {
    name: string;
    byHand: Operation[];
    addresses: string[];
    routes?: TopologyInput["namespaces"][string]["routes"];
    /** The steps of the first plan, in order. */
    steps: string[];
  }
  const cases: Case[] = [
    {
      name: "a primary and its secondary: the secondary goes with the primary, both come back",
      byHand: [dummy("root", "d0"), addr("10.0.0.1/24"), addr("10.0.0.2/24")],
      addresses: ["10.0.0.1/24", "10.0.0.2/24"],
      steps: [
        'address.delete address.root.d0["10.0.0.1/24"]',
        'address.add address.root.d0["10.0.0.1/24"]',
        'address.add address.root.d0["10.0.0.2/24"]',
      ],
    },
    {
      name: "an owned secondary of a re-created primary is added again",
      byHand: [dummy("root", "d0"), addr("10.0.0.1/24"), addr("10.0.0.2/24", NETFORM_PROTOCOL)],
      addresses: ["10.0.0.1/24", "10.0.0.2/24"],
      steps: [
        'address.delete address.root.d0["10.0.0.1/24"]',
        'address.add address.root.d0["10.0.0.1/24"]',
        'address.add address.root.d0["10.0.0.2/24"]',
      ],
    },
    {
      name: "an IPv6 address next to it is marked in place",
      byHand: [dummy("root", "d0"), addr("10.0.0.1/24"), addr("fd00::1/64")],
      addresses: ["10.0.0.1/24", "fd00::1/64"],
      steps: [
        'address.delete address.root.d0["10.0.0.1/24"]',
        'address.add address.root.d0["10.0.0.1/24"]',
        'address.add address.root.d0["fd00::1/64"] (replace)',
      ],
    },
    {
      name: "a route through the link, flushed with its last IPv4 address, is imported again",
      byHand: [
        dummy("root", "d0"),
        addr("10.0.0.1/24"),
        {
          op: "route.add",
          namespace: "root",
          route: route({ to: "10.9.0.0/24", via: "10.0.0.254", dev: "d0" }),
        },
      ],
      addresses: ["10.0.0.1/24"],
      routes: [{ to: "10.9.0.0/24", via: "10.0.0.254", dev: "d0" }],
      steps: [
        'address.delete address.root.d0["10.0.0.1/24"]',
        'address.add address.root.d0["10.0.0.1/24"]',
        'route.add route.root.main["10.9.0.0/24"] (replace)',
      ],
    },
    {
      name: "an already owned address on the same link keeps the link's routes: only src routes go",
      byHand: [
        dummy("root", "d0"),
        addr("10.0.0.1/24", NETFORM_PROTOCOL),
        addr("10.1.0.1/24"),
        {
          op: "route.add",
          namespace: "root",
          route: route({ to: "10.9.0.0/24", dev: "d0", scope: "link", src: "10.1.0.1" }),
        },
      ],
      addresses: ["10.0.0.1/24", "10.1.0.1/24"],
      routes: [{ to: "10.9.0.0/24", dev: "d0", scope: "link", src: "10.1.0.1" }],
      steps: [
        'address.delete address.root.d0["10.1.0.1/24"]',
        'address.add address.root.d0["10.1.0.1/24"]',
        'route.add route.root.main["10.9.0.0/24"] (replace)',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const driver = hostAfter("6.1.0", c.byHand);
      const input: TopologyInput = {
        name: "t",
        namespaces: {
          root: {
            links: { d0: { kind: "dummy", addresses: c.addresses } },
            routes: c.routes ?? [],
          },
        },
      };
      // The dummy itself is foreign: marked by hand first, as an adopted link would be.
      await driver.execute({
        op: "link.update",
        namespace: "root",
        name: "d0",
        changes: { alias: "netform:t" },
      });
      const { first, again } = await adopt(driver, input);
      assert.deepEqual(opsOf(first), c.steps);
      assert.deepEqual(again.changes, [], "converged");
      const d0 = (await driver.observe()).namespaces["root"]!.links["d0"]!;
      assert.deepEqual(
        d0.addresses.filter((a) => !a.cidr.startsWith("fe80")).map((
          a,
        ) => [a.cidr, a.protocol, a.secondary ?? false]),
        c.addresses.map((
          cidr,
          i,
        ) => [cidr, NETFORM_PROTOCOL, c.name.includes("secondary") && i === 1]),
      );
    });
  }
});

Deno.test("a snapshot records its kernel's release, and one older than 5.18 is refused", () => {
  const kernel = hostAfter("6.1.0-28-amd64", []).kernel;
  const text = serializeSnapshot(toSnapshot(kernel));
  assert.match(text, /"kernelRelease": "6\.1\.0-28-amd64"/);
  assert.equal(parseSnapshot(text, "s.json").state.kernelRelease, "6.1.0-28-amd64");
  const old = text.replace("6.1.0-28-amd64", "5.15.0-91-generic");
  assert.throws(
    () => parseSnapshot(old, "s.json"),
    (e) =>
      e instanceof UsageError &&
      /Invalid snapshot "s\.json": \$\.kernelRelease: Linux 5\.15\.0-91-generic has no address protocol \(IFA_PROTO\).*needs Linux 5\.18 or later/
        .test(e.message),
  );
});

Deno.test("an adoption that fails at any step is rolled back to the host exactly as ip left it", async (t) => {
  for (const release of ["6.1.0", "6.4.0"]) {
    const topology = validateManifestValue("topology.ts", howtoTopology);
    const steps = plan(topology, await hostAfter(release, howto()).observe()).steps.length;
    for (let failAt = 1; failAt < steps; failAt += 3) {
      await t.step(`${release}: step ${failAt + 1} of ${steps} refused`, async () => {
        const sim = hostAfter(release, howto());
        const before = await sim.observe();
        const p = plan(topology, before);
        await assert.rejects(applyPlan(p, new FailingDriver(sim, failAt)), /Injected failure/);
        // The protocols are the point: a rolled-back import must not leave a mark behind.
        assert.deepEqual(await sim.observe(), before);
      });
    }
  }
});

Deno.test("a restore unmarks an IPv4 address by re-creating it where a replace cannot", async (t) => {
  for (
    const [release, expected] of [
      ["6.1.0", [
        "address.delete 10.0.0.2/24",
        "address.delete 10.0.0.1/24",
        "address.add 10.0.0.1/24",
        "address.add 10.0.0.2/24",
      ]],
      ["6.4.0", ["address.add 10.0.0.1/24 (replace)", "address.add 10.0.0.2/24 (replace)"]],
    ] as const
  ) {
    await t.step(release, async () => {
      const byHand = [
        { op: "link.create", link: { namespace: "root", name: "d0", kind: "dummy", up: true } },
        { op: "address.add", namespace: "root", link: "d0", cidr: "10.0.0.1/24", protocol: 0 },
        { op: "address.add", namespace: "root", link: "d0", cidr: "10.0.0.2/24", protocol: 0 },
      ] satisfies Operation[];
      const target = await hostAfter(release, byHand).observe();
      const marked = hostAfter(
        release,
        byHand.map((op) => op.op === "address.add" ? { ...op, protocol: NETFORM_PROTOCOL } : op),
      );
      const ops = restoreOperations(target, await marked.observe());
      assert.deepEqual(
        ops.map((o) =>
          o.op === "address.add" || o.op === "address.delete"
            ? `${o.op} ${o.cidr}${"replace" in o && o.replace ? " (replace)" : ""}`
            : o.op
        ),
        expected,
      );
      for (const op of ops) await marked.execute(op);
      assert.deepEqual(await marked.observe(), target);
    });
  }
});
