/**
 * What it takes to undo each step of a plan, worked out before anything runs.
 *
 * The observed state is loaded into the simulated kernel, used here as a
 * model (no I/O, no driver): each step is run on it, and the undo of the step
 * is the restore from the state after it back to the state before it. That
 * catches what the kernel does on the side — a namespace takes its links, a
 * master its slaves in other namespaces, a link its addresses and routes, a
 * link going down its routes — so the undo puts those back too.
 *
 * Each undo is then checked the same way: run on the model, it must give back
 * exactly the state before the step. When it cannot (a physical NIC the
 * kernel moved to the root namespace, a link kind netform cannot create), the
 * step is irreversible and the plan names it before it is applied. A step
 * whose undo creates a link or namespace again is exact in netform's model
 * but not for the kernel: the new object gets a new ifindex and MAC address,
 * and a namespace comes back without whatever netform does not model in it
 * (processes, sockets, firewall rules, sysctls). Those are named too.
 *
 * @module
 */
import { kernelFromHostState } from "../drivers/sim/from_state.ts";
import { SimKernel } from "../drivers/sim/kernel.ts";
import { observeState } from "../drivers/sim/observe.ts";
import type { Operation } from "../model/operations.ts";
import type { HostState } from "../model/state.ts";
import type { Irreversible, Step } from "../plan/plan.ts";
import { describeDifferences, diffStates, isSame } from "./objects.ts";
import { restoreOperations } from "./restore.ts";
import { describeOperation } from "./describe.ts";

/** Passes of {@linkcode restoreOperations} before giving up on an exact undo. */
const MAX_PASSES = 4;

/**
 * Plans with more work than this are not modelled step by step. Each step's undo is worked out on
 * the whole modelled host, so the cost grows with steps × objects (measured: 323 steps from an
 * empty host 1.3 s, 963 steps 12 s; a destroy of 101 namespaces holding 3,300 objects 0.5 s).
 * The work is counted as steps × (objects observed + steps), the size the model reaches. Past
 * the limit (about 0.4 s here), a failed apply is undone by one restore computed from the host
 * itself, and the plan names the steps that delete something as not exactly undoable.
 */
export const FORECAST_WORK_LIMIT = 100_000;

/** The work of forecasting `steps` from `observed`, in the unit of {@linkcode FORECAST_WORK_LIMIT}. */
export function forecastWork(steps: readonly Step[], observed: HostState): number {
  let objects = 0;
  for (const ns of Object.values(observed.namespaces)) {
    objects += 1 + ns.routes.length;
    for (const link of Object.values(ns.links)) objects += 1 + link.addresses.length;
  }
  return steps.length * (objects + steps.length);
}

export interface UndoEntry {
  /** Operations that undo the step, in the order to run them. */
  undo: Operation[];
  /** Set when the undo does not give back exactly what was there. */
  loss?: string;
}

export interface UndoForecast {
  /** One entry per step that the model could run; a step it refused ends the list. */
  entries: UndoEntry[];
  /** The model refused this step (the apply will most likely fail there). */
  refusedAt?: number;
  /** The model's state before each step it reached (the refused one included). */
  states?: HostState[];
  /** The model's state after the last step it ran (the refused one excluded). */
  end?: HostState;
  /** Not modelled: the plan has more work than {@linkcode FORECAST_WORK_LIMIT}. */
  skipped?: true;
}

/** Undo of every step of `steps`, starting from `observed`. */
export function forecastUndo(steps: readonly Step[], observed: HostState): UndoForecast {
  if (forecastWork(steps, observed) > FORECAST_WORK_LIMIT) return { entries: [], skipped: true };
  const kernel = kernelFromHostState(observed);
  const entries: UndoEntry[] = [];
  const states: HostState[] = [];
  let before = observeState(kernel.state);
  for (const [i, step] of steps.entries()) {
    states.push(before);
    try {
      kernel.execute(step.operation);
    } catch {
      return { entries, refusedAt: i, states, end: before };
    }
    const copy = new SimKernel(kernel.state);
    const after = observeState(kernel.state);
    entries.push(undoOf(copy, before, after));
    before = after;
  }
  return { entries, states, end: before };
}

/**
 * The operations that take `kernel` (the state after a step) back to
 * `before`, and what they cannot give back.
 */
export function undoOf(
  kernel: SimKernel,
  before: HostState,
  after = observeState(kernel.state),
): UndoEntry {
  const undo: Operation[] = [];
  let now = after;
  let refused: string | undefined;
  // Each pass runs what the model accepts and skips what it refuses (an order the next pass,
  // computed from the new state, gets right); it stops when a pass changes nothing.
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const ops = restoreOperations(before, now);
    if (ops.length === 0) break;
    let progressed = false;
    for (const op of ops) {
      try {
        kernel.execute(op);
        undo.push(op);
        progressed = true;
      } catch (e) {
        refused = `${describeOperation(op)}: ${(e as Error).message}`;
      }
    }
    now = observeState(kernel.state);
    if (!progressed) break;
  }
  // Both come from observeState, which orders everything: equal states give equal text.
  const left = JSON.stringify(before) === JSON.stringify(now)
    ? { added: [], removed: [], changed: [] }
    : diffStates(before, now);
  if (!isSame(left)) {
    return {
      undo,
      loss: `the undo cannot give back ${describeDifferences(left)}` +
        (refused ? ` (${refused})` : ""),
    };
  }
  const recreated = undo.flatMap((op) =>
    op.op === "namespace.create"
      ? [`namespace "${op.namespace}" (empty of what netform does not model)`]
      : op.op === "link.create"
      ? [
        `link "${op.link.name}" in "${op.link.namespace}"` +
        (op.link.peer ? ` with peer "${op.link.peer.name}"` : ""),
      ]
      : []
  );
  if (recreated.length > 0) {
    return {
      undo,
      loss: `the undo creates again ${recreated.join(", ")}: new ifindex and MAC address`,
    };
  }
  return { undo };
}

/** The plan's list of steps whose undo is not exact, for the plan text and JSON. */
export function irreversibleSteps(steps: readonly Step[], forecast: UndoForecast): Irreversible[] {
  const out: Irreversible[] = [];
  if (forecast.skipped) {
    steps.forEach((step, i) => {
      const op = step.operation.op;
      if (op !== "link.delete" && op !== "namespace.delete") return;
      out.push({
        step: i + 1,
        change: step.change,
        reason: `a rollback would create again what this deletes (new ifindex and MAC address); ` +
          `this plan is too large to model step by step (${steps.length} steps), so what else ` +
          `the kernel deletes with it is not listed`,
      });
    });
    return out;
  }
  forecast.entries.forEach((entry, i) => {
    if (entry.loss) out.push({ step: i + 1, change: steps[i]!.change, reason: entry.loss });
  });
  if (forecast.refusedAt !== undefined) {
    out.push({
      step: forecast.refusedAt + 1,
      change: steps[forecast.refusedAt]!.change,
      reason: "the simulated kernel refuses this step, so what the steps from here do is unknown",
    });
  }
  return out;
}
