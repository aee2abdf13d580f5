/**
 * Objects netform does not own, on the simulated kernel, through the command line: the state
 * file is the witness (byte for byte unchanged after every refusal).
 *
 * - Cascades: a plan whose kernel side effects would delete or change a foreign object (an
 *   address or route added by hand on an owned link, a foreign link in an owned namespace, a
 *   foreign port of an owned bridge, a foreign slave of an owned device, a foreign route flushed
 *   by a link going down) is refused naming each one, and with `--allow-cascade-foreign` lists
 *   them and goes ahead.
 * - Adoption: a namespace or link that exists with content the topology does not declare is
 *   not adopted.
 * - Saved plans: a plan file edited to touch what the topology does not own (or to hide what
 *   it does) is refused, because `apply` plans again from the host and compares.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { defaultHost } from "../../src/drivers/sim/snapshot.ts";
import type { Operation } from "../../src/model/operations.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MOD_URL = new URL("../../mod.ts", import.meta.url).href;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function netform(args: string[]): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", "mod.ts", ...args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

function assertExit(run: Run, code: number, what: string): void {
  assert.equal(
    run.code,
    code,
    `${what}: expected exit ${code}, got ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
  );
}

/** Variants of the topology "mine": the base, and what later applies change in it. */
type Variant = "base" | "a0 down" | "a0 replaced" | "ipvlan l2" | "root bridge";

/** The topology "mine" as manifest source. */
function manifest(variant: Variant = "base"): string {
  const a0 = variant === "a0 replaced"
    ? `{ kind: "veth", peer: "nsc/c0", addresses: ["10.71.0.1/24"] }`
    : `{ kind: "veth", peer: "nsb/b0", addresses: ["10.71.0.1/24", "fd71::1/64"]${
      variant === "a0 down" ? ", up: false" : ""
    } }`;
  const b0 = variant === "a0 replaced"
    ? ""
    : `b0: { kind: "veth", peer: "nsa/a0", addresses: ["10.71.0.2/24"] },`;
  // A route through a link that is down is refused by the kernel.
  const routes = variant === "a0 down" || variant === "a0 replaced"
    ? "[]"
    : `[{ to: "10.72.0.0/24", via: "10.71.0.2", dev: "a0" }]`;
  const root = {
    "ipvlan l2": `eth0: { kind: "existing", ipvlan: { mode: "l2" } }`,
    "root bridge": `eth0: { kind: "existing" }, rbr: { kind: "bridge" }`,
  }[variant as string] ?? `eth0: { kind: "existing" }`;
  const more = {
    "a0 replaced":
      `nsc: { links: { lo: { kind: "loopback" }, c0: { kind: "veth", peer: "nsa/a0" } } },`,
    "ipvlan l2":
      `nsc: { links: { lo: { kind: "loopback" }, ipv0: { kind: "ipvlan", parent: "root/eth0" } } },`,
  }[variant as string] ?? "";
  return `import { topology } from ${JSON.stringify(MOD_URL)};
export default topology({
  name: "mine",
  namespaces: {
    root: { links: { ${root} } },
    nsa: {
      links: {
        lo: { kind: "loopback" },
        br0: { kind: "bridge", addresses: ["10.70.0.1/24"] },
        a0: ${a0},
      },
      routes: ${routes},
    },
    nsb: {
      links: {
        lo: { kind: "loopback" },
        ${b0}
        mv0: { kind: "macvlan", parent: "nsa/br0", addresses: ["10.73.0.5/24"] },
      },
    },
    ${more}
  },
});
`;
}

interface Host {
  dir: string;
  state: string;
  sim: string[];
  /** Writes a manifest and returns its path. */
  write(name: string, source: string): Promise<string>;
  /** Runs raw operations on the state file, as another tool (or a person) would. */
  byHand(ops: Operation[]): Promise<void>;
}

async function withHost(fn: (host: Host) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "netform_foreign_" });
  const state = join(dir, "host.json");
  await new SimDriver(defaultHost(), state).flush();
  const host: Host = {
    dir,
    state,
    sim: ["--driver", "sim", "--state", state],
    async write(name, source) {
      const file = join(dir, name);
      await Deno.writeTextFile(file, source);
      return file;
    },
    async byHand(ops) {
      const driver = await SimDriver.open(state);
      for (const op of ops) await driver.execute(op);
      await driver.flush();
    },
  };
  try {
    await fn(host);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `args`, expects exit 1 with every pattern in stderr and the state file untouched. */
async function assertRefused(host: Host, args: string[], expect: RegExp[]): Promise<void> {
  const before = await Deno.readFile(host.state);
  const run = await netform(args);
  assertExit(run, 1, args.join(" "));
  for (const pattern of expect) assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /unexpected failure|\n\s+at /, "no stack trace");
  assert.deepEqual(await Deno.readFile(host.state), before, "the state file changed");
}

async function show(host: Host): Promise<
  { namespaces: Record<string, { links: Record<string, { addresses: { cidr: string }[] }> }> }
> {
  const run = await netform(["show", ...host.sim, "--json"]);
  assertExit(run, 0, "show");
  return JSON.parse(run.stdout);
}

const BY_HAND = 3; // RTPROT_BOOT, what `ip route add` and `ip addr add` leave

interface CascadeCase {
  name: string;
  /** What someone else puts on the host once the topology is applied. */
  foreign: Operation[];
  /** The command refused (a manifest shape to apply, or destroy). */
  command: { apply: Variant } | "destroy";
  /** Named in the refusal, and listed with --allow-cascade-foreign. */
  objects: string[];
}

const CASCADES: CascadeCase[] = [
  {
    name: "an address added by hand on an owned link, by destroy",
    foreign: [{
      op: "address.add",
      namespace: "nsa",
      link: "a0",
      cidr: "10.71.9.9/24",
      protocol: 0,
    }],
    command: "destroy",
    objects: ['address.nsa.a0["10.71.9.9/24"]'],
  },
  {
    name: "a route added by hand through an owned link, by destroy",
    foreign: [{
      op: "route.add",
      namespace: "nsa",
      route: {
        to: "10.74.0.0/24",
        type: "unicast",
        via: "10.71.0.2",
        dev: "a0",
        metric: 0,
        table: 254,
        protocol: BY_HAND,
      },
    }],
    command: "destroy",
    objects: ['route.nsa.main["10.74.0.0/24"] dev a0'],
  },
  {
    name: "a bridge added by hand in an owned namespace, by destroy",
    foreign: [{
      op: "link.create",
      link: { namespace: "nsa", name: "fbr", kind: "bridge", up: true },
    }],
    command: "destroy",
    objects: ["link.nsa.fbr"],
  },
  {
    name: "a foreign port of an owned bridge and its peer in a foreign namespace, by destroy",
    foreign: [
      { op: "namespace.create", namespace: "cni" },
      {
        op: "link.create",
        link: {
          namespace: "nsa",
          name: "fp0",
          kind: "veth",
          up: true,
          master: "br0",
          peer: { namespace: "cni", name: "fp1", up: true },
        },
      },
    ],
    command: "destroy",
    objects: ["link.cni.fp1", "link.nsa.fp0"],
  },
  {
    name: "a foreign macvlan in a foreign namespace on an owned veth end, by destroy",
    foreign: [
      { op: "namespace.create", namespace: "cni" },
      {
        op: "link.create",
        link: {
          namespace: "cni",
          name: "fmv",
          kind: "macvlan",
          up: true,
          parent: { namespace: "nsb", name: "b0" },
          macvlanMode: "bridge",
        },
      },
    ],
    command: "destroy",
    objects: ["link.cni.fmv"],
  },
  {
    name: "a route and an IPv6 address by hand on an owned link that the topology takes down",
    foreign: [
      { op: "address.add", namespace: "nsa", link: "a0", cidr: "fd71::9/64", protocol: 0 },
      {
        op: "route.add",
        namespace: "nsa",
        route: {
          to: "10.75.0.0/24",
          type: "unicast",
          dev: "a0",
          scope: "link",
          metric: 0,
          table: 254,
          protocol: BY_HAND,
        },
      },
    ],
    command: { apply: "a0 down" },
    objects: ['address.nsa.a0["fd71::9/64"]', 'route.nsa.main["10.75.0.0/24"] dev a0'],
  },
  {
    name: "an address by hand on an owned veth that the topology replaces",
    foreign: [
      { op: "address.add", namespace: "nsa", link: "a0", cidr: "10.71.8.8/24", protocol: 0 },
    ],
    // a0's peer moves to nsc: a veth cannot change its peer in place.
    command: { apply: "a0 replaced" },
    objects: ['address.nsa.a0["10.71.8.8/24"]'],
  },
  {
    name: "a foreign ipvlan slave whose port mode the topology changes",
    foreign: [
      { op: "namespace.create", namespace: "cni" },
      {
        op: "link.create",
        link: {
          namespace: "cni",
          name: "fipv",
          kind: "ipvlan",
          up: true,
          parent: { namespace: "root", name: "eth0" },
          ipvlan: { mode: "l3", flags: "bridge" },
        },
      },
    ],
    command: { apply: "ipvlan l2" },
    objects: ["link.cni.fipv"],
  },
];

Deno.test("a plan whose kernel cascades reach foreign objects is refused naming them, and goes ahead with --allow-cascade-foreign", async (t) => {
  for (const c of CASCADES) {
    await t.step(c.name, async () => {
      await withHost(async (host) => {
        const mine = await host.write("mine.ts", manifest());
        assertExit(
          await netform(["apply", mine, ...host.sim, "--auto-approve"]),
          0,
          "apply the topology",
        );
        await host.byHand(c.foreign);
        const next = c.command === "destroy"
          ? mine
          : await host.write("next.ts", manifest(c.command.apply));
        const args = [
          c.command === "destroy" ? "destroy" : "apply",
          next,
          ...host.sim,
          "--auto-approve",
        ];
        const planArgs = [
          "plan",
          next,
          ...host.sim,
          ...(c.command === "destroy" ? ["--destroy"] : []),
        ];
        const named = [
          /the kernel would also delete or change \d+ object\(s\) this topology does not own/,
          ...c.objects.map((o) => new RegExp(escape(o) + " \\((deleted|changed) by step")),
        ];
        await assertRefused(host, args, [...named, /--allow-cascade-foreign/]);
        // `plan` refuses the same way, and changes nothing either.
        await assertRefused(host, planArgs, named);

        const allowed = await netform([...args, "--allow-cascade-foreign"]);
        assertExit(allowed, 0, "with --allow-cascade-foreign");
        assert.match(allowed.stdout, /Objects this topology does not own that go with it/);
        for (const object of c.objects) assert.match(allowed.stdout, new RegExp(escape(object)));
      });
    });
  }
});

Deno.test("a foreign object next to the topology is left alone by a plan that does not reach it", async () => {
  await withHost(async (host) => {
    const mine = await host.write("mine.ts", manifest());
    assertExit(await netform(["apply", mine, ...host.sim, "--auto-approve"]), 0, "apply");
    await host.byHand([
      { op: "namespace.create", namespace: "cni" },
      ...CASCADES.flatMap((c) => c.foreign).filter((op) => op.op !== "namespace.create"),
    ]);
    const before = await Deno.readFile(host.state);
    const converged = await netform(["plan", mine, ...host.sim, "--detailed-exitcode"]);
    assertExit(converged, 0, "plan with foreign neighbours");
    assertExit(await netform(["apply", mine, ...host.sim, "--auto-approve"]), 0, "apply again");
    assert.deepEqual(await Deno.readFile(host.state), before);
  });
});

interface AdoptionCase {
  name: string;
  /** What exists before the topology's first apply. */
  existing: Operation[];
  variant?: Variant;
  /** Named in the refusal. */
  objects: string[];
}

const ADOPTIONS: AdoptionCase[] = [
  {
    name: "a namespace holding a link of its own",
    existing: [
      { op: "namespace.create", namespace: "nsa" },
      { op: "link.create", link: { namespace: "nsa", name: "cni0", kind: "bridge", up: true } },
    ],
    objects: ["link.nsa.cni0"],
  },
  {
    name: "a namespace holding a route of its own",
    existing: [
      { op: "namespace.create", namespace: "nsa" },
      {
        op: "route.add",
        namespace: "nsa",
        route: { to: "10.9.0.0/24", type: "blackhole", metric: 0, table: 254, protocol: BY_HAND },
      },
    ],
    objects: ['route.nsa.main["10.9.0.0/24"]'],
  },
  {
    name: "a namespace whose declared bridge carries an address the topology does not declare",
    existing: [
      { op: "namespace.create", namespace: "nsa" },
      { op: "link.create", link: { namespace: "nsa", name: "br0", kind: "bridge", up: true } },
      { op: "address.add", namespace: "nsa", link: "br0", cidr: "10.70.9.1/24", protocol: 0 },
    ],
    objects: ['address.nsa.br0["10.70.9.1/24"]'],
  },
  {
    name: "a namespace holding a macvlan of someone else's on the host's NIC",
    existing: [
      { op: "namespace.create", namespace: "nsb" },
      {
        op: "link.create",
        link: {
          namespace: "nsb",
          name: "theirs",
          kind: "macvlan",
          up: true,
          parent: { namespace: "root", name: "eth0" },
          macvlanMode: "bridge",
        },
      },
    ],
    objects: ["link.nsb.theirs"],
  },
  {
    name: "a bridge in the root namespace with an address of someone else's",
    existing: [
      { op: "link.create", link: { namespace: "root", name: "rbr", kind: "bridge", up: true } },
      { op: "address.add", namespace: "root", link: "rbr", cidr: "10.80.0.1/24", protocol: 0 },
    ],
    variant: "root bridge",
    objects: ['address.root.rbr["10.80.0.1/24"]'],
  },
  {
    name: "a bridge in the root namespace with a route of someone else's through it",
    existing: [
      { op: "link.create", link: { namespace: "root", name: "rbr", kind: "bridge", up: true } },
      {
        op: "route.add",
        namespace: "root",
        route: {
          to: "10.81.0.0/24",
          type: "unicast",
          dev: "rbr",
          scope: "link",
          metric: 0,
          table: 254,
          protocol: BY_HAND,
        },
      },
    ],
    variant: "root bridge",
    objects: ['route.root.main["10.81.0.0/24"] dev rbr'],
  },
];

Deno.test("a namespace or link that exists with content the topology does not declare is not adopted", async (t) => {
  for (const c of ADOPTIONS) {
    await t.step(c.name, async () => {
      await withHost(async (host) => {
        await host.byHand(c.existing);
        const mine = await host.write("mine.ts", manifest(c.variant));
        const named = c.objects.map((o) => new RegExp(escape(o)));
        for (const command of [["plan"], ["apply", "--auto-approve"]]) {
          await assertRefused(host, [...command, mine, ...host.sim], [
            /Cannot adopt (namespace "ns[ab]"|link "rbr" in namespace "root"): it holds \d+ object\(s\) this topology does not declare, which destroy would delete with it/,
            /declare them in the topology to adopt them too/,
            ...named,
          ]);
        }
        const allowed = await netform([
          "plan",
          mine,
          ...host.sim,
          "--allow-cascade-foreign",
        ]);
        assertExit(allowed, 0, "plan --allow-cascade-foreign");
        for (const o of named) assert.match(allowed.stdout, o, "the plan names what it adopts");
      });
    });
  }
});

Deno.test("a namespace made by hand with only lo and its loopback addresses is adopted", async () => {
  await withHost(async (host) => {
    await host.byHand([
      { op: "namespace.create", namespace: "nsa" },
      { op: "link.update", namespace: "nsa", name: "lo", changes: { up: true } },
      // The HOWTO's `ip -4 addr add 127.0.0.1 dev lo`, next to the kernel's 127.0.0.1/8.
      { op: "address.add", namespace: "nsa", link: "lo", cidr: "127.0.0.1/32", protocol: 0 },
    ]);
    const mine = await host.write("mine.ts", manifest());
    const plan = await netform(["plan", mine, ...host.sim]);
    assertExit(plan, 0, "plan");
    assert.match(plan.stdout, /# namespace\.nsa will be imported/);
    assertExit(await netform(["apply", mine, ...host.sim, "--auto-approve"]), 0, "apply");
    const state = await show(host);
    assert.ok(state.namespaces.nsa!.links.lo!.addresses.some((a) => a.cidr === "127.0.0.1/32"));
  });
});

interface SavedPlan {
  changes: Record<string, unknown>[];
  steps: { change: string; operation: Record<string, unknown> }[];
  summary: Record<string, number>;
  topology: string;
  desired: { namespaces: Record<string, { routes: Record<string, unknown>[] }> };
}

interface EditCase {
  name: string;
  edit: (plan: SavedPlan) => void;
  /** In the refusal; absent: the edited plan is a real plan and applies. */
  refused?: RegExp;
}

/** Adds a change of `type` deleting `address`, with its step, and counts it. */
function addDelete(
  plan: SavedPlan,
  type: string,
  namespace: string,
  address: string,
  operation: Record<string, unknown>,
): void {
  plan.changes.push({
    address,
    type,
    namespace,
    action: "delete",
    reason: "it is not in the topology",
    replacePaths: [],
    before: {},
    after: null,
  });
  plan.steps.unshift({ change: address, operation });
  plan.summary.destroy = (plan.summary.destroy ?? 0) + 1;
}

const NOT_THE_PLAN =
  /Cannot apply the saved plan ".*": it is not the plan netform makes for topology "mine" on this host/;

const EDITS: EditCase[] = [
  {
    name: "a step deleting a namespace of someone else's",
    edit: (p) =>
      addDelete(p, "namespace", "cni", "namespace.cni", {
        op: "namespace.delete",
        namespace: "cni",
      }),
    refused:
      /not the plan netform makes .*; step 1 of the file \(delete namespace "cni"\) is not in netform's plan/,
  },
  {
    name: "a step deleting a link of someone else's in the root namespace",
    edit: (p) =>
      addDelete(p, "link", "root", "link.root.fr0", {
        op: "link.delete",
        namespace: "root",
        name: "fr0",
      }),
    refused:
      /not the plan netform makes .*\(delete link "fr0" in namespace "root"\) is not in netform's plan/,
  },
  {
    name: "a step deleting an address of someone else's on the host's NIC",
    edit: (p) =>
      addDelete(p, "address", "root", 'address.root.eth0["192.0.2.7/24"]', {
        op: "address.delete",
        namespace: "root",
        link: "eth0",
        cidr: "192.0.2.7/24",
      }),
    refused: NOT_THE_PLAN,
  },
  {
    name: "a change and its step left out, so the reviewer does not see it",
    edit: (p) => {
      const route = p.changes.findIndex((c) => String(c.address).startsWith("route."));
      const [gone] = p.changes.splice(route, 1);
      p.steps = p.steps.filter((s) => s.change !== gone!.address);
      p.summary.add = p.summary.add! - 1;
    },
    refused:
      /netform's plan has change "route\.nsa\.main\["10\.72\.0\.0\/24"\]", which the file lacks/,
  },
  {
    name: "another topology's name",
    edit: (p) => {
      p.topology = "theirs";
    },
    refused: /Cannot apply the saved plan ".*": .*its topology or kind/,
  },
  {
    name: "a step retargeted at a link of someone else's",
    edit: (p) => {
      const step = p.steps.find((s) => s.operation.op === "address.add")!;
      step.operation.namespace = "root";
      step.operation.link = "fr0";
    },
    // Caught when the file is read: the step no longer matches its change.
    refused: /Cannot read plan ".*": steps\[\d+\]\.operation: acts on "address\.root\.fr0/,
  },
  {
    name: "a change and its step retargeted to mark someone else's namespace as owned",
    edit: (p) => {
      const change = p.changes.find((c) => c.address === "link.nsa.lo")!;
      change.address = "link.cni.lo";
      change.namespace = "cni";
      const step = p.steps.find((s) => s.change === "link.nsa.lo")!;
      step.change = "link.cni.lo";
      step.operation.namespace = "cni";
    },
    refused:
      /step \d+ of the file \(change alias, up of "lo" in namespace "cni"\) is not in netform's plan/,
  },
  {
    name: "a route added to the desired state together with its step (a real plan)",
    edit: (p) => {
      const route = {
        to: "10.99.0.0/24",
        type: "unicast",
        via: "10.71.0.2",
        dev: "a0",
        metric: 0,
        table: 254,
        protocol: 150,
      };
      p.desired.namespaces.nsa!.routes.push(route);
      const address = 'route.nsa.main["10.99.0.0/24"]';
      p.changes.push({
        address,
        type: "route",
        namespace: "nsa",
        action: "create",
        reason: "it is in the topology",
        replacePaths: [],
        before: null,
        after: {
          dev: "a0",
          metric: 0,
          table: "main",
          to: "10.99.0.0/24",
          type: "unicast",
          via: "10.71.0.2",
        },
      });
      p.steps.push({ change: address, operation: { op: "route.add", namespace: "nsa", route } });
      p.summary.add = p.summary.add! + 1;
    },
  },
];

Deno.test("a saved plan edited to touch what its topology does not own is refused; the host is planned again", async (t) => {
  for (const c of EDITS) {
    await t.step(c.name, async () => {
      await withHost(async (host) => {
        // Someone else's objects: a namespace, a link in root, an address on the NIC.
        await host.byHand([
          { op: "namespace.create", namespace: "cni" },
          { op: "link.create", link: { namespace: "root", name: "fr0", kind: "bridge", up: true } },
          {
            op: "address.add",
            namespace: "root",
            link: "eth0",
            cidr: "192.0.2.7/24",
            protocol: 16,
          },
        ]);
        const mine = await host.write("mine.ts", manifest());
        const file = join(host.dir, "plan.json");
        assertExit(await netform(["plan", mine, ...host.sim, "--out", file]), 0, "plan --out");
        const plan = JSON.parse(await Deno.readTextFile(file)) as SavedPlan;
        c.edit(plan);
        await Deno.writeTextFile(file, JSON.stringify(plan, null, 2));
        const args = ["apply", file, ...host.sim, "--auto-approve"];
        if (c.refused) {
          await assertRefused(host, args, [c.refused]);
          return;
        }
        assertExit(await netform(args), 0, "apply of a consistently edited plan");
        const state = await show(host);
        assert.ok(state.namespaces.cni, "the foreign namespace is still there");
      });
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
