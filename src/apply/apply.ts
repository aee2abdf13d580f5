/**
 * Apply: run a plan's steps through a driver, recording each in a journal,
 * then observe again and verify that nothing is left to do.
 *
 * @module
 */
import type { Driver } from "../drivers/driver.ts";
import { ApplyError, VerifyError } from "../errors.ts";
import type { Plan, PlanSummary } from "../plan/plan.ts";
import { plan as planChanges, planDestroy } from "../plan/planner.ts";
import { describeOperation } from "./describe.ts";
import { Journal } from "./journal.ts";

export interface ApplyReport {
  journal: Journal;
  summary: PlanSummary;
  /** Wall time in milliseconds: executing the steps, and verifying (observe and re-plan). */
  timings: { execute: number; verify: number };
}

export interface ApplyOptions {
  /** Called after each step, e.g. to print progress. */
  onStep?: (description: string) => void;
}

/**
 * Executes `plan` on `driver` and verifies the result.
 *
 * @throws {ApplyError} when a step fails: names the step, what was done before
 * it and what did not run. Nothing is undone.
 * @throws {VerifyError} when the host still differs from the plan's desired state.
 */
export async function applyPlan(
  plan: Plan,
  driver: Driver,
  options: ApplyOptions = {},
): Promise<ApplyReport> {
  const journal = new Journal();
  const started = performance.now();
  for (const [i, step] of plan.steps.entries()) {
    try {
      await driver.execute(step.operation);
    } catch (error) {
      journal.record(step, "failed", (error as Error).message);
      for (const rest of plan.steps.slice(i + 1)) journal.record(rest, "skipped");
      await driver.flush?.();
      throw new ApplyError(
        `Cannot apply the plan: step ${i + 1} of ${plan.steps.length} failed (${
          describeOperation(step.operation)
        }): ${(error as Error).message}. ${
          journal.done.length === 0
            ? "Nothing was changed."
            : `The host is partly changed: ${journal.done.length} step(s) were done and are not undone.`
        } Journal:\n` + journal.render(),
        journal.done.map((s) => describeOperation(s.operation)),
        describeOperation(step.operation),
        { cause: error },
      );
    }
    journal.record(step, "done");
    options.onStep?.(describeOperation(step.operation));
  }
  await driver.flush?.();
  const executed = performance.now();
  await verify(plan, driver);
  const timings = { execute: executed - started, verify: performance.now() - executed };
  return { journal, summary: plan.summary, timings };
}

/** Observes again and requires an empty diff against the plan's desired state. */
export async function verify(plan: Plan, driver: Driver): Promise<void> {
  const observed = await driver.observe();
  const again = plan.kind === "destroy"
    ? planDestroy(plan.topology, observed)
    : planChanges(plan.desired, observed);
  if (again.changes.length > 0) {
    const remaining = again.changes.map((c) => `${c.address} (${c.action})`);
    throw new VerifyError(
      `Cannot verify the apply: the host still differs from the topology in ${remaining.length} ` +
        `object(s): ${remaining.join(", ")}`,
      remaining,
    );
  }
}
