/**
 * Apply: run a plan's steps through a driver as one transaction. Each step is
 * recorded in a journal with the operations that undo it (worked out before
 * anything runs, see `undo.ts`); when a step fails, what was done is undone
 * in reverse order and the host is observed again to check it is back to
 * where it was. Then, on success, observe again and verify that nothing is
 * left to do.
 *
 * @module
 */
import type { Driver } from "../drivers/driver.ts";
import { ApplyError, VerifyError } from "../errors.ts";
import type { LinkChanges, Operation } from "../model/operations.ts";
import type { HostState } from "../model/state.ts";
import type { ForeignSideEffect, Plan, PlanSummary, Step } from "../plan/plan.ts";
import { plan as planChanges, planDestroy } from "../plan/planner.ts";
import { describeOperation } from "./describe.ts";
import { foreignSideEffects } from "./foreign_side_effects.ts";
import { refuseForeignSideEffects } from "./prepare.ts";
import { Journal } from "./journal.ts";
import { describeDifferences, diffStates, isSame } from "./objects.ts";
import { restoreOperations } from "./restore.ts";
import { scopedState, type ScopeSpec } from "./scope.ts";
import { forecastUndo, type UndoForecast } from "./undo.ts";

export interface ApplyReport {
  journal: Journal;
  summary: PlanSummary;
  /** Operations that take the host back to where it was before the apply, in order. */
  undo: Operation[];
  /** Wall time in milliseconds: executing the steps, and verifying (observe and re-plan). */
  timings: { execute: number; verify: number };
}

/** Told which objects an apply may create, before it creates any (see `intent.ts`). */
export interface IntentLog {
  begin(operations: readonly Operation[]): Promise<void>;
  end(): Promise<void>;
}

export interface ApplyOptions {
  /** Called after each step, e.g. to print progress. */
  onStep?: (description: string) => void;
  /** Undo what was done when a step fails. Default: true. */
  rollback?: boolean;
  /** The state the plan starts from; observed through the driver when absent. */
  observed?: HostState;
  /** Compare only this part of the host after a rollback. Default: the whole host. */
  scope?: ScopeSpec;
  /** A forecast made earlier for the same steps and state (the plan shown). */
  forecast?: UndoForecast;
  /**
   * Run even though the steps delete or change objects the topology does not own. Default:
   * false, the apply is refused before its first step (see `foreign_side_effects.ts`).
   */
  allowCascadeForeign?: boolean;
  /** The plan's foreign side effects, worked out earlier for the same steps and state. */
  foreign?: readonly ForeignSideEffect[];
  intent?: IntentLog;
  /**
   * The report's `undo` is needed (confirm or revert). For a plan too long to model step by
   * step it is then computed from the host after the apply: one more observe.
   */
  undoOnSuccess?: boolean;
}

/**
 * Executes `plan` on `driver` and verifies the result.
 *
 * @throws {ApplyError} when a step fails: names the step, what was done before
 * it, what was undone, and whether the host is back to where it was (or what
 * the partial state is, with `rollback: false`).
 * @throws {ApplyError} also when every step ran but the host still differs from the plan's
 * desired state (then rolled back as well).
 * @throws {VerifyError} for that case with `rollback: false`.
 */
export async function applyPlan(
  plan: Plan,
  driver: Driver,
  options: ApplyOptions = {},
): Promise<ApplyReport> {
  const rollback = options.rollback ?? true;
  const observed = options.observed ?? await driver.observe();
  const seen = options.scope ? scopedState(observed, options.scope) : observed;
  // Undo is worked out on the part of the host the topology sees: the steps touch nothing else.
  const forecast = options.forecast ?? forecastUndo(plan.steps, seen);
  refuseForeignSideEffects(
    plan,
    options.foreign ?? foreignSideEffects(plan.steps, seen, plan.desired, { forecast }),
    options.allowCascadeForeign ?? false,
  );
  const view = (s: HostState) => (options.scope ? scopedState(s, options.scope) : s);
  const journal = new Journal();
  const started = performance.now();
  await options.intent?.begin([
    ...plan.steps.map((s) => s.operation),
    ...forecast.entries.flatMap((e) => e.undo),
  ]);
  try {
    for (const [i, step] of plan.steps.entries()) {
      const predicted = forecast.entries[i];
      // Past what the model could run, the undo comes from the host itself; a plan too long to
      // model is undone, if it fails, by one restore from the host (see FORECAST_WORK_LIMIT).
      const before = predicted || forecast.skipped ? undefined : view(await driver.observe());
      try {
        await driver.execute(step.operation);
      } catch (error) {
        journal.record(step, "failed", { error: (error as Error).message });
        for (const rest of plan.steps.slice(i + 1)) journal.record(rest, "skipped");
        throw await failure(plan, driver, journal, i, error, {
          rollback,
          observed,
          before: before ?? stateBefore(forecast, i),
          ...(options.scope ? { scope: options.scope } : {}),
        });
      }
      const undo = predicted
        ? predicted.undo
        : before
        ? restoreOperations(before, view(await driver.observe()))
        : [];
      journal.record(step, "done", { undo });
      options.onStep?.(describeOperation(step.operation));
    }
    await driver.flush?.();
    const executed = performance.now();
    try {
      await verify(plan, driver);
    } catch (error) {
      // Every step went through, yet the host is not what the plan said: a failure too.
      if (!(error instanceof VerifyError) || !rollback) throw error;
      throw await failure(plan, driver, journal, undefined, error, {
        rollback,
        observed,
        before: undefined,
        ...(options.scope ? { scope: options.scope } : {}),
      });
    }
    const timings = { execute: executed - started, verify: performance.now() - executed };
    const undo = forecast.skipped && options.undoOnSuccess
      ? restoreOperations(view(observed), view(await driver.observe()))
      : journal.undoOperations();
    return { journal, summary: plan.summary, undo, timings };
  } finally {
    await options.intent?.end();
  }
}

function stateBefore(forecast: UndoForecast, i: number): HostState | undefined {
  return forecast.states?.[i];
}

interface FailureContext {
  rollback: boolean;
  observed: HostState;
  before: HostState | undefined;
  scope?: ScopeSpec;
}

async function failure(
  plan: Plan,
  driver: Driver,
  journal: Journal,
  /** The failed step; undefined when every step ran and verification failed. */
  i: number | undefined,
  error: unknown,
  ctx: FailureContext,
): Promise<ApplyError> {
  const step = i === undefined ? undefined : plan.steps[i]!;
  const total = plan.steps.length;
  const failed = step ? describeOperation(step.operation) : "verify";
  const done = journal.done.map((s) => describeOperation(s.operation));
  const head = step
    ? `Cannot apply the plan: step ${i! + 1} of ${total} failed (${failed}): ${
      (error as Error).message
    }.`
    : `Cannot apply the plan: all ${total} step(s) ran, but ${(error as Error).message}.`;
  const view = (s: HostState) => (ctx.scope ? scopedState(s, ctx.scope) : s);

  if (!ctx.rollback || done.length === 0 && !(step && isPartial(step))) {
    await driver.flush?.();
    if (done.length === 0) {
      return new ApplyError(
        `${head} Nothing was changed. Journal:`,
        [],
        failed,
        {
          cause: error,
          rollback: "restored",
          journal: journal.lines(),
        },
      );
    }
    const now = await driver.observe();
    const left = diffStates(view(ctx.observed), view(now));
    return new ApplyError(
      `${head} Rollback is off (--no-rollback): the ${done.length} step(s) done before it are ` +
        `kept, so the host is partly changed: ${describeDifferences(left, 50)}. Run plan to ` +
        `see what is left to do. Journal:`,
      done,
      failed,
      { cause: error, rollback: "kept", journal: journal.lines() },
    );
  }

  // Undo: the failed step's own partial effect first, then the done steps, last first.
  const undone: string[] = [];
  const problems: string[] = [];
  const run = async (ops: readonly Operation[], what: string) => {
    for (const op of ops) {
      try {
        await driver.execute(op);
      } catch (e) {
        problems.push(`${what}: ${describeOperation(op)}: ${(e as Error).message}`);
        return false;
      }
    }
    return true;
  };
  const partial = step && isPartial(step)
    ? partialUndo(step, ctx.before, await driver.observe())
    : [];
  if (partial.length > 0) {
    if (await run(partial, `undo the part of step ${i! + 1} that took effect`)) {
      undone.push(`the part of "${failed}" that took effect`);
    }
  }
  const entries = journal.entries.filter((e) => e.outcome === "done").reverse();
  for (const entry of entries) {
    const what = describeOperation(entry.step.operation);
    if (await run(entry.undo ?? [], `undo "${what}"`)) {
      entry.outcome = "undone";
      undone.push(what);
    }
  }
  await driver.flush?.();
  const now = await driver.observe();
  let left = diffStates(view(ctx.observed), view(now));
  if (!isSame(left)) {
    // Whatever the predicted undo missed (the kernel did more than the model
    // said): one restore from what is there now, computed from the host.
    let ran = 0;
    for (let pass = 0; pass < 3 && !isSame(left); pass++) {
      const repair = restoreOperations(view(ctx.observed), view(await driver.observe()));
      let progressed = false;
      for (const op of repair) {
        try {
          await driver.execute(op);
          ran++;
          progressed = true;
        } catch (e) {
          problems.push(`repair: ${describeOperation(op)}: ${(e as Error).message}`);
        }
      }
      await driver.flush?.();
      left = diffStates(view(ctx.observed), view(await driver.observe()));
      if (!progressed) break;
    }
    if (ran > 0) undone.push(`${ran} repair operation(s) computed from the host after the undo`);
    if (isSame(left)) problems.length = 0;
  }
  const restored = isSame(left);
  const lists = `Done: ${done.length === 0 ? "(none)" : done.join("; ")}. Undone: ${
    undone.length === 0 ? "(none)" : undone.join("; ")
  }.`;
  const outcome = restored
    ? `Rolled back: the host is as it was before the apply (checked by observing it again).`
    : `Rollback incomplete: the host still differs from before the apply: ${
      describeDifferences(left, 50)
    }${problems.length > 0 ? `; undo errors: ${problems.join("; ")}` : ""}.`;
  return new ApplyError(
    `${head} ${outcome} ${lists} Journal:`,
    done,
    failed,
    {
      cause: error,
      undone,
      rollback: restored ? "restored" : "incomplete",
      journal: journal.lines(),
    },
  );
}

/**
 * A refused `link.update` keeps what do_setlink did before the refusal; the
 * attributes it carried are set back to what they were (a no-op for those it
 * never reached).
 */
function isPartial(step: Step): boolean {
  return step.operation.op === "link.update";
}

function partialUndo(step: Step, before: HostState | undefined, now: HostState): Operation[] {
  const op = step.operation;
  if (op.op !== "link.update" || !before) return [];
  const was = before.namespaces[op.namespace]?.links[op.name];
  const is = now.namespaces[op.namespace]?.links[op.name];
  if (!was || !is) return [];
  const changes: LinkChanges = {};
  if (op.changes.up !== undefined && was.up !== is.up && was.up !== undefined) changes.up = was.up;
  if (op.changes.mtu !== undefined && was.mtu !== is.mtu && was.mtu !== undefined) {
    changes.mtu = was.mtu;
  }
  if (op.changes.alias !== undefined && was.alias !== is.alias) changes.alias = was.alias ?? null;
  if (op.changes.master !== undefined && was.master !== is.master) {
    changes.master = was.master ?? null;
  }
  if (was.kind === "macvlan" && is.kind === "macvlan" && was.mode !== is.mode) {
    changes.macvlanMode = was.mode;
  }
  if (op.changes.ipvlan !== undefined && was.kind === "ipvlan") {
    const at = (s: HostState) => s.namespaces[was.parent.namespace]?.links[was.parent.name]?.ipvlan;
    const port = at(before);
    if (port && JSON.stringify(port) !== JSON.stringify(at(now))) changes.ipvlan = port;
  }
  return Object.keys(changes).length === 0
    ? []
    : [{ op: "link.update", namespace: op.namespace, name: op.name, changes }];
}

/**
 * Runs operations in order with no undo of their own (a revert). Stops at the
 * first refusal and says which ran.
 */
export async function runOperations(
  operations: readonly Operation[],
  driver: Driver,
): Promise<{ ran: string[]; error?: string }> {
  const ran: string[] = [];
  for (const op of operations) {
    try {
      await driver.execute(op);
    } catch (e) {
      await driver.flush?.();
      return { ran, error: `${describeOperation(op)}: ${(e as Error).message}` };
    }
    ran.push(describeOperation(op));
  }
  await driver.flush?.();
  return { ran };
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
