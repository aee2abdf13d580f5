import assert from "node:assert/strict";
import { applyPlan } from "../../src/apply/apply.ts";
import { openDriver } from "../../src/drivers/open.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { loadManifest } from "../../src/manifest/load.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";
import {
  hostSnapshot,
  inUniqueNamespaces,
  leftoverNamespaces,
  onlyPrefixed,
  removeNamespaces,
  uniquePrefix,
} from "./_unique.ts";

/** The examples this kernel can host: no ipvlan, no dummy, nothing in root. */
const HOSTABLE = ["veth_router.ts", "macvlan_bridge.ts"];
const isRoot = Deno.uid?.() === 0;

Deno.test({
  name:
    "examples this kernel can host go plan, apply, converge and destroy on the live kernel, as on the simulator",
  ignore: !isRoot,
  async fn(t) {
    const before = await hostSnapshot();
    for (const file of HOSTABLE) {
      await t.step(file, async () => {
        const prefix = uniquePrefix("nfe2e");
        const desired = inUniqueNamespaces(
          await loadManifest(new URL(`../../examples/${file}`, import.meta.url).pathname),
          prefix,
        );
        const live = await openDriver("live");
        try {
          const first = plan(desired, await live.observe());
          assert.ok(first.steps.length > 0);
          await applyPlan(first, live); // verifies: observe again, re-plan is empty
          assert.equal(plan(desired, await live.observe()).changes.length, 0);

          // The simulator, given the same plan, ends in the same observed state.
          const sim = await SimDriver.open();
          await applyPlan(first, sim);
          assert.deepEqual(
            onlyPrefixed(await live.observe(), prefix),
            onlyPrefixed(await sim.observe(), prefix),
          );

          await applyPlan(planDestroy(desired.name, await live.observe()), live);
          assert.deepEqual(await leftoverNamespaces(prefix), []);
        } finally {
          live.close?.();
          await removeNamespaces(prefix);
        }
      });
    }
    assert.equal(
      await hostSnapshot(),
      before,
      "the host's own links, addresses and routes are untouched",
    );
  },
});
