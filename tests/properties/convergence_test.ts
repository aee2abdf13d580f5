/**
 * Property tests of the plan → apply → verify loop on the simulator, over
 * random valid topologies and random starting states.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { applyPlan } from "../../src/apply/apply.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { parseSnapshot } from "../../src/drivers/sim/snapshot.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import type { TopologyInput } from "../../src/manifest/topology.ts";
import type { HostState, Topology } from "../../src/model/state.ts";
import { decodePlan, encodePlan } from "../../src/plan/codec.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";
import {
  foreignOperations,
  OTHER,
  type Scenario,
  scenario,
  TARGET,
  validTopology,
} from "./_arbitraries.ts";

/** Runs per property; `NETFORM_PROPERTY_RUNS=3000` for a longer hunt (needs --allow-env). */
const RUNS = (() => {
  try {
    return Number(Deno.env.get("NETFORM_PROPERTY_RUNS") ?? 100);
  } catch {
    return 100;
  }
})();
const params = { numRuns: RUNS, endOnFailure: false } as const;

const topo = (input: TopologyInput): Topology => validateManifestValue("generated.ts", input);

interface Prepared {
  driver: SimDriver;
  desired: Topology;
  /** Observed state once only foreign and other-topology objects exist. */
  baseline: HostState;
  baselineSnapshot: string;
}

/** Builds the starting state of a scenario on a fresh default host. */
async function prepare(s: Scenario): Promise<Prepared> {
  const driver = await SimDriver.open();
  for (const op of foreignOperations(s.foreign)) await driver.execute(op);
  if (s.other) await applyPlan(plan(topo(s.other), await driver.observe()), driver);
  const baseline = await driver.observe();
  const baselineSnapshot = await driver.snapshot();
  if (s.previous) await applyPlan(plan(topo(s.previous), await driver.observe()), driver);
  return { driver, desired: topo(s.desired), baseline, baselineSnapshot };
}

/** A second driver with exactly the same kernel state. */
async function cloneDriver(driver: SimDriver): Promise<SimDriver> {
  return new SimDriver(parseSnapshot(await driver.snapshot(), "clone"));
}

/** Two changes for one object would show the reader two contradicting intentions. */
function assertOneChangePerAddress(changes: readonly { address: string }[]): void {
  const seen = new Set<string>();
  for (const c of changes) {
    assert.ok(!seen.has(c.address), `two changes for ${c.address}`);
    seen.add(c.address);
  }
}

Deno.test("generated manifests are valid (the generator builds them by construction)", () => {
  for (const opts of [TARGET, OTHER]) {
    fc.assert(fc.property(validTopology(opts), (input) => void topo(input)), { numRuns: 300 });
  }
});

Deno.test("property: apply of plan(desired, observed) converges and verifies", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const { driver, desired } = await prepare(s);
      const first = plan(desired, await driver.observe());
      assertOneChangePerAddress(first.changes);
      // applyPlan re-plans after executing and throws VerifyError if anything is left.
      await applyPlan(first, driver);
    }),
    params,
  );
});

Deno.test("property: a second plan after apply has no changes", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const { driver, desired } = await prepare(s);
      await applyPlan(plan(desired, await driver.observe()), driver);
      const again = plan(desired, await driver.observe());
      assert.deepEqual(again.changes, []);
      assert.deepEqual(again.steps, []);
    }),
    params,
  );
});

Deno.test("property: destroy removes exactly what the topology owns", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const { driver, desired, baseline, baselineSnapshot } = await prepare(s);
      await applyPlan(plan(desired, await driver.observe()), driver);
      await applyPlan(planDestroy(desired.name, await driver.observe()), driver);
      const after = await driver.observe();
      // The snapshot text cannot be compared: it holds counters that legitimately
      // advance and are never reused (each namespace's nextIfindex, the global
      // macSeq, an ipvlan port's nextDevId). observe() is everything else — every
      // link with its attributes, addresses, routes and ipvlan port settings.
      assert.deepEqual(after, baseline);
      // Spelled out: the other topology's and the foreign objects survived.
      if (s.foreign.dummy) {
        assert.ok(after.namespaces.root?.links.foreign0);
        assert.ok(after.namespaces.root?.routes.some((r) => r.to === "203.0.113.0/24"));
      }
      if (s.foreign.namespace) assert.ok(after.namespaces.x9?.links.fx);
      if (s.other) {
        const other = topo(s.other);
        for (const [ns, n] of Object.entries(other.namespaces)) {
          for (const name of Object.keys(n.links)) {
            assert.ok(after.namespaces[ns]?.links[name], `other topology's ${ns}/${name} survives`);
          }
        }
        assert.deepEqual(plan(other, after).changes, [], "other topology is still converged");
      }
      // When nothing but the default host existed, even the snapshot's
      // structure (minus counters) is back; check the text once with the
      // counters masked.
      const mask = (text: string) =>
        text.replace(/"(nextIfindex|macSeq|nextDevId|ifindex|master|mac)": "?[^,\n]*"?/g, "$1");
      if (!s.foreign.dummy && !s.foreign.namespace && !s.other) {
        assert.equal(mask(await driver.snapshot()), mask(baselineSnapshot));
      }
    }),
    params,
  );
});

Deno.test("property: plans are deterministic", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const { driver, desired } = await prepare(s);
      const observed = await driver.observe();
      const a = plan(desired, observed);
      const b = plan(structuredClone(desired), structuredClone(observed));
      assert.deepEqual(a, b);
      assert.equal(encodePlan(a), encodePlan(b));
      const da = planDestroy(desired.name, observed);
      const db = planDestroy(desired.name, structuredClone(observed));
      assert.equal(encodePlan(da), encodePlan(db));
    }),
    params,
  );
});

Deno.test("property: a plan survives encodePlan/decodePlan and applies the same", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const { driver, desired } = await prepare(s);
      const twin = await cloneDriver(driver);
      const original = plan(desired, await driver.observe());
      const text = encodePlan(original);
      const decoded = decodePlan(text, "plan.json");
      assert.deepEqual(decoded, original);
      assert.equal(encodePlan(decoded), text);
      await applyPlan(original, driver);
      await applyPlan(decoded, twin);
      assert.equal(await twin.snapshot(), await driver.snapshot());
    }),
    params,
  );
});
