/**
 * Fault injection: every step of every plan of the property scenarios is made
 * to fail in turn (a driver wrapper refuses step k), and after the rollback
 * the observed state must be exactly what it was before the apply. Both the
 * apply plan (from each random starting state) and the destroy plan after it
 * are covered.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { applyPlan } from "../../src/apply/apply.ts";
import { forecastUndo } from "../../src/apply/undo.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { parseSnapshot } from "../../src/drivers/sim/snapshot.ts";
import { ApplyError } from "../../src/errors.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import type { TopologyInput } from "../../src/manifest/topology.ts";
import type { Operation } from "../../src/model/operations.ts";
import type { Topology } from "../../src/model/state.ts";
import type { Plan } from "../../src/plan/plan.ts";
import { FailingDriver } from "../_failing_driver.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";
import { foreignOperations, type Scenario, scenario } from "./_arbitraries.ts";

const RUNS = (() => {
  try {
    return Number(Deno.env.get("NETFORM_PROPERTY_RUNS") ?? 60);
  } catch {
    return 60;
  }
})();

const topo = (input: TopologyInput): Topology => validateManifestValue("generated.ts", input);

async function prepare(s: Scenario): Promise<{ driver: SimDriver; desired: Topology }> {
  const driver = await SimDriver.open();
  for (const op of foreignOperations(s.foreign)) await driver.execute(op);
  if (s.other) await applyPlan(plan(topo(s.other), await driver.observe()), driver);
  if (s.previous) await applyPlan(plan(topo(s.previous), await driver.observe()), driver);
  return { driver, desired: topo(s.desired) };
}

const tally = { plans: 0, steps: 0, restored: 0, repaired: 0 };

/** Fails each step of `p` in turn on a copy of `driver`; each time the state must come back. */
async function everyStepFails(driver: SimDriver, p: Plan): Promise<void> {
  const snapshot = await driver.snapshot();
  const before = await driver.observe();
  const forecast = forecastUndo(p.steps, before);
  assert.equal(forecast.refusedAt, undefined, "the model runs every step of a valid plan");
  tally.plans++;
  for (let k = 0; k < p.steps.length; k++) {
    const copy = new SimDriver(parseSnapshot(snapshot, "copy"));
    const failing = new FailingDriver(copy, k);
    const error = await applyPlan(p, failing, { forecast }).then(
      () => assert.fail(`step ${k + 1} was to fail`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ApplyError, String(error));
    assert.equal(error.done.length, k, "the steps before the failing one were done");
    // Each done step is undone by its own journal entry; a final repair pass may follow when
    // undoing steps one by one does not compose exactly (e.g. which of two addresses in a
    // subnet is primary decides the prefix route's source).
    const repairs = error.undone.filter((u) => / repair operation/.test(u)).length;
    assert.equal(
      error.undone.length - repairs,
      k,
      `all ${k} done step(s) undone: ${error.message}`,
    );
    tally.repaired += repairs;
    assert.equal(error.rollback, "restored", error.message);
    assert.deepEqual(await copy.observe(), before, `step ${k + 1} of ${p.steps.length}`);
    tally.steps++;
    tally.restored++;
  }
}

Deno.test("property: a failure at any step of an apply plan rolls back to exactly the state before", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const { driver, desired } = await prepare(s);
      await everyStepFails(driver, plan(desired, await driver.observe()));
    }),
    { numRuns: RUNS, endOnFailure: false },
  );
});

Deno.test("property: a failure at any step of a destroy plan rolls back to exactly the state before", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const { driver, desired } = await prepare(s);
      await applyPlan(plan(desired, await driver.observe()), driver);
      await everyStepFails(driver, planDestroy(desired.name, await driver.observe()));
    }),
    { numRuns: RUNS, endOnFailure: false },
  );
});

/** A driver that silently skips its `skip`-th operation: the kernel said yes but did nothing. */
class SkippingDriver extends FailingDriver {
  #count = 0;
  override execute(operation: Operation): Promise<void> {
    if (this.#count++ === this.failAt) return Promise.resolve();
    return this.inner.execute(operation);
  }
}

Deno.test("property: a step that silently did nothing fails verification, and the apply is rolled back", async () => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(scenario, fc.nat(), async (s, pick) => {
      const { driver, desired } = await prepare(s);
      const before = await driver.observe();
      const p = plan(desired, before);
      if (p.steps.length === 0) return;
      const skip = pick % p.steps.length;
      const error = await applyPlan(p, new SkippingDriver(driver, skip)).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Some steps are idempotent with a later one (a route added again with replace).
      if (error === undefined) return;
      assert.ok(error instanceof ApplyError, String(error));
      // Either verification catches it, or a later step that needed it fails; rolled back either way.
      if (error.failed === "verify") {
        assert.match(error.message, /all \d+ step\(s\) ran, but Cannot verify the apply/);
        checked++;
      }
      assert.equal(error.rollback, "restored", error.message);
      assert.deepEqual(await driver.observe(), before);
    }),
    { numRuns: RUNS, endOnFailure: false },
  );
  assert.ok(checked > 0);
});

Deno.test("fault injection covered every step it tried", () => {
  // Printed for the report: how many plans and steps the two properties above failed on purpose.
  console.log(
    `fault injection: ${tally.plans} plans, ${tally.steps} injected failures, ` +
      `${tally.restored} restored exactly (${tally.repaired} needed the final repair pass)`,
  );
  assert.equal(tally.restored, tally.steps);
  assert.ok(tally.steps > 0);
});
