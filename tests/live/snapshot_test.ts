/**
 * `LiveDriver.snapshot()`: the live host captured as a simulator snapshot
 * observes, and plans, as the live host itself. Needs root; works only in
 * throwaway namespaces (`nfsnap<random>-…`), deleted in `finally`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { applyPlan } from "../../src/apply/apply.ts";
import { KernelError } from "../../src/errors.ts";
import type { Driver } from "../../src/drivers/driver.ts";
import { LiveDriver } from "../../src/drivers/live/driver.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { loadManifest } from "../../src/manifest/load.ts";
import { ROOT_NAMESPACE } from "../../src/model/names.ts";
import type { HostState, Topology } from "../../src/model/state.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";
import {
  hostSnapshot,
  inUniqueNamespaces,
  leftoverNamespaces,
  onlyPrefixed,
  removeNamespaces,
  uniquePrefix,
} from "./_unique.ts";

const isRoot = Deno.uid?.() === 0;

/** `state` with only the root namespace and the ones named `prefix…`. */
function scoped(state: HostState, prefix: string): HostState {
  return {
    namespaces: Object.fromEntries(
      Object.entries(state.namespaces).filter(([n]) =>
        n === ROOT_NAMESPACE || n.startsWith(prefix)
      ),
    ),
  };
}

/**
 * Runs `fn` again when it failed only because a namespace of another test vanished between
 * listing /run/netns and entering it. `observeHost` skips such a namespace now; this stays as a
 * guard for the CLI subprocesses of other test files.
 */
async function retryingLostNamespace<T>(prefix: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const m = /Cannot enter namespace "([^"]+)"/.exec(String((e as Error).message));
      const foreign = e instanceof KernelError && e.code === "ENOENT" && m !== null &&
        !m[1]!.startsWith(prefix);
      if (attempt >= 3 || !foreign) throw e;
    }
  }
}

/**
 * The live driver seeing only root and this test's namespaces: the planner treats netform-protocol
 * addresses on unowned links anywhere as its own, so plans over the whole host would touch the
 * namespaces other live tests build meanwhile.
 */
function scopedLive(live: LiveDriver, prefix: string): Driver {
  return {
    name: live.name,
    description: live.description,
    observe: () => retryingLostNamespace(prefix, async () => scoped(await live.observe(), prefix)),
    execute: (op) => live.execute(op),
    snapshot: () => live.snapshot(),
  };
}

/** `desired` changed: h2's MTU, one more address on h1, and `upstream` (with router/up0) gone. */
function modified(desired: Topology, prefix: string): Topology {
  const next = structuredClone(desired);
  const h1 = next.namespaces[`${prefix}h1`]!.links.eth0!;
  h1.addresses.push({ cidr: "10.20.0.21/24", protocol: 150 });
  next.namespaces[`${prefix}h2`]!.links.eth0!.mtu = 1300;
  delete next.namespaces[`${prefix}upstream`];
  delete next.namespaces[`${prefix}router`]!.links.up0;
  return next;
}

Deno.test({
  name: "a snapshot of the live host observes and plans like the live host",
  ignore: !isRoot,
  async fn() {
    const before = await hostSnapshot();
    const prefix = uniquePrefix("nfsnap");
    const dir = await Deno.makeTempDir({ prefix: "netform_snapshot_test_" });
    const liveDriver = new LiveDriver();
    const live = scopedLive(liveDriver, prefix);
    try {
      const desired = inUniqueNamespaces(
        await loadManifest(new URL("../../examples/veth_router.ts", import.meta.url).pathname),
        prefix,
      );
      await applyPlan(plan(desired, await live.observe()), live);

      const file = join(dir, "host.json");
      await Deno.writeTextFile(file, await retryingLostNamespace(prefix, () => live.snapshot()));
      const liveState = await live.observe();
      const sim = await SimDriver.open(file);
      const simState = scoped(await sim.observe(), prefix);

      // The topology's namespaces exactly; the host's own namespace but for device types.
      // (Other tests create and delete namespaces meanwhile, so not the whole host.)
      assert.equal(Object.keys(onlyPrefixed(liveState, prefix).namespaces).length, 4);
      assert.deepEqual(onlyPrefixed(simState, prefix), onlyPrefixed(liveState, prefix));
      assert.deepEqual(simState.namespaces[ROOT_NAMESPACE], liveState.namespaces[ROOT_NAMESPACE]);

      // Converged on both, and the same plan for a changed manifest.
      assert.equal(plan(desired, simState).changes.length, 0);
      const next = modified(desired, prefix);
      const simPlan = plan(next, simState);
      const livePlan = plan(next, liveState);
      assert.ok(livePlan.changes.length > 0);
      assert.deepEqual(simPlan, livePlan);

      // Applied, the simulator ends where the live kernel does.
      const scopedSim: Driver = {
        name: sim.name,
        description: sim.description,
        observe: async () => scoped(await sim.observe(), prefix),
        execute: (op) => sim.execute(op),
        snapshot: () => sim.snapshot(),
      };
      await applyPlan(simPlan, scopedSim);
      await applyPlan(livePlan, live);
      assert.deepEqual(
        onlyPrefixed(await scopedSim.observe(), prefix),
        onlyPrefixed(await live.observe(), prefix),
      );

      await applyPlan(planDestroy(desired.name, await live.observe()), live);
      assert.deepEqual(await leftoverNamespaces(prefix), []);
    } finally {
      liveDriver.close();
      await removeNamespaces(prefix);
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(
      await hostSnapshot(),
      before,
      "the host's own links, addresses and routes are untouched",
    );
  },
});
