/**
 * Adopting what the seeds' own commands built, on Debian's 6.1 kernel: each seed's `ip` sequence
 * is run verbatim (names and addresses as in its example; the write-up's `eno2` is `eth0`), its
 * traffic is checked, and then netform plans (imports only, and the namespaces' marks), applies,
 * plans again (nothing to do), the traffic is checked again, and destroy removes it all. The
 * simulator, started as a copy of the guest, is driven with the same plans and must end in the
 * same state each time: this is the differential case for adoption of namespaces, links,
 * addresses and routes that `ip` made. Runs INSIDE the QEMU guest (see tests/vm/vm_test.ts).
 */
import assert from "node:assert/strict";
import { applyPlan } from "../../../src/apply/apply.ts";
import { preparePlan } from "../../../src/apply/prepare.ts";
import { loadManifest } from "../../../src/manifest/load.ts";
import { marksIPv4AddressInPlace } from "../../../src/model/kernel_release.ts";
import { NETFORM_PROTOCOL } from "../../../src/model/names.ts";
import type { Topology } from "../../../src/model/state.ts";
import { plan, planDestroy } from "../../../src/plan/planner.ts";
import { must, note, Pair } from "./_lib.ts";
import { EXAMPLES, examples, leftovers, setUpLan, tearDown } from "./_seed_examples.ts";

/** `ip netns exec NS ip ARGS...`, or plain `ip` in the root namespace. */
type Command = [namespace: string, ...args: string[]];

/** Two namespaces with one ipvlan slave of eth0 each, the way every seed makes them. */
function slaves(
  mode: string,
  flags: string[],
  each: { ns: string; dev: string; address: string; route: string[]; lo127?: boolean }[],
): Command[] {
  const out: Command[] = [];
  for (const s of each) out.push(["root", "netns", "add", s.ns]);
  for (const s of each) {
    out.push([
      "root",
      "link",
      "add",
      "link",
      "eth0",
      "name",
      s.dev,
      "type",
      "ipvlan",
      "mode",
      mode,
      ...flags,
    ]);
  }
  for (const s of each) out.push(["root", "link", "set", "dev", s.dev, "netns", s.ns]);
  for (const s of each) {
    out.push([s.ns, "link", "set", "dev", s.dev, "up"], [s.ns, "link", "set", "dev", "lo", "up"]);
    if (s.lo127) out.push([s.ns, "-4", "addr", "add", "127.0.0.1", "dev", "lo"]);
    out.push([s.ns, "-4", "addr", "add", s.address, "dev", s.dev], [
      s.ns,
      "route",
      "add",
      ...s.route,
    ]);
  }
  return out;
}

/** Each example's seed, as its own commands. */
const SEEDS: Record<string, Command[]> = {
  // The HOWTO's section 6, (a) to (d), with $IPADDR and $ROUTER from eth0's LAN.
  "howto_two_namespaces.ts": slaves("l2", [], [
    {
      ns: "ns0",
      dev: "ipvl0",
      address: "192.168.50.10/24",
      route: ["default", "via", "192.168.50.1", "dev", "ipvl0"],
      lo127: true,
    },
    {
      ns: "ns1",
      dev: "ipvl1",
      address: "192.168.50.11/24",
      route: ["default", "via", "192.168.50.1", "dev", "ipvl1"],
      lo127: true,
    },
  ]),
  // The write-up's "L2 mode, bridge" on S3.
  "l2_bridge.ts": slaves("l2", ["bridge"], [
    { ns: "ns1", dev: "ipvl1", address: "10.138.36.2/23", route: ["default", "dev", "ipvl1"] },
    {
      ns: "ns2",
      dev: "ipvl2",
      address: "10.138.36.3/23",
      route: ["default", "via", "10.138.36.1", "dev", "ipvl2"],
    },
  ]),
  // The write-up's "L3 mode, bridge" on S3.
  "l3_bridge.ts": slaves("l3", ["bridge"], [
    { ns: "ns1", dev: "ipvl1", address: "192.168.9.2/24", route: ["default", "dev", "ipvl1"] },
    { ns: "ns2", dev: "ipvl2", address: "192.168.9.3/24", route: ["default", "dev", "ipvl2"] },
  ]),
  // The l3s write-up: the l3 commands with mode l3s.
  "l3s.ts": slaves("l3s", [], [
    { ns: "ns0", dev: "ipvl0", address: "192.168.10.2/24", route: ["default", "dev", "ipvl0"] },
    { ns: "ns1", dev: "ipvl1", address: "192.168.10.3/24", route: ["default", "dev", "ipvl1"] },
  ]),
};

/** All four loaded at once: a loader worker takes about half a minute to start under TCG. */
let loading: Map<string, Promise<Topology>> | undefined;
function load(file: string): Promise<Topology> {
  loading ??= new Map(
    Object.keys(SEEDS).map((f) => {
      const promise = loadManifest(`${EXAMPLES}${f}`, { timeoutMs: 300_000 });
      promise.catch(() => {}); // reported by the example's own test
      return [f, promise];
    }),
  );
  return loading.get(file)!;
}

for (const [file, commands] of Object.entries(SEEDS)) {
  Deno.test({
    name: `seed of ${file}: built by its own ip commands, adopted (imports only), then converged`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => adoptSeed(file, commands),
  });
}

async function adoptSeed(file: string, commands: Command[]): Promise<void> {
  const ex = examples.find((e) => e.file === file)!;
  const topology = await load(file);
  const p = await Pair.open("sad", { view: (s) => s, rootLinks: ["eth0"] });
  const lan = `${p.prefix}lan`;
  const own = Object.keys(topology.namespaces).filter((n) => n !== "root");
  try {
    await setUpLan(lan);
    await ex.before?.(lan);
    for (const [ns, ...args] of commands) {
      await (ns === "root"
        ? must("root", "ip", args)
        : must("root", "ip", ["netns", "exec", ns, "ip", ...args]));
    }
    await ex.check(lan);
    await p.seedSimFromLive();

    const observed = await p.live.observe();
    const first = plan(topology, observed);
    // Everything is there: imports, and each namespace's mark (the alias on its lo).
    const others = first.changes.filter((c) => c.action !== "import");
    assert.deepEqual(
      others.map((c) => `${c.action} ${c.address} ${c.reason}`),
      own.map((ns) => `update link.${ns}.lo alias differ`),
    );
    assert.equal(first.summary.add + first.summary.destroy, 0);
    const recreates = first.steps.filter((s) => s.operation.op === "address.delete").length;
    assert.equal(recreates, marksIPv4AddressInPlace(observed.kernelRelease) ? 0 : own.length);
    preparePlan(first, observed);

    // How long each re-created address is gone: from its delete to its add.
    const done: { step: string; at: number }[] = [];
    const t0 = performance.now();
    await applyPlan(first, p.live, {
      onStep: (d) => done.push({ step: d, at: performance.now() }),
    });
    const applyMs = performance.now() - t0;
    const gaps = done.flatMap((d, i) => {
      const m = d.step.match(/^delete address (\S+)/);
      if (!m) return [];
      const back = done.slice(i + 1).find((x) =>
        x.step.startsWith(`mark address ${m[1]}`) ||
        x.step.startsWith(`add address ${m[1]}`)
      );
      return back ? [Math.round(back.at - d.at)] : [];
    });
    await note(
      `adopt ${file} on ${observed.kernelRelease}: ${first.steps.length} steps in ${
        Math.round(applyMs)
      } ms; ` +
        `addresses re-created: ${gaps.length}, each absent ${gaps.join(", ") || "-"} ms`,
    );

    const host = await p.live.observe();
    assert.deepEqual(plan(topology, host).changes, [], "converged: the next plan is empty");
    for (const ns of own) {
      const n = host.namespaces[ns]!;
      for (const link of Object.values(n.links)) {
        if (link.kind === "loopback") continue;
        assert.deepEqual(
          link.addresses.filter((a) => !a.cidr.startsWith("fe80:")).map((a) => a.protocol),
          [NETFORM_PROTOCOL],
        );
      }
      assert.ok(
        n.routes.filter((r) => r.protocol !== 2).every((r) => r.protocol === NETFORM_PROTOCOL),
      );
    }
    await ex.check(lan);
    await applyPlan(first, p.sim);
    await p.assertSame();

    const destroy = planDestroy(topology.name, host);
    await applyPlan(destroy, p.live);
    await applyPlan(destroy, p.sim);
    await p.assertSame();
    assert.deepEqual(leftovers(await p.live.observe(), topology), [], "destroy left nothing");
  } finally {
    p.live.close?.();
    await tearDown(own, lan);
  }
}
