/**
 * What the CLI adds to a plan before showing, saving or applying it: the
 * steps whose undo is not exact, and the basis (a fingerprint of what the
 * topology's scope saw), and the check that a saved plan's basis still holds.
 *
 * @module
 */
import { PlanError, StalePlanError } from "../errors.ts";
import type { HostState } from "../model/state.ts";
import type { ForeignSideEffect, Plan, PlanBasis } from "../plan/plan.ts";
import { encodePlan } from "../plan/codec.ts";
import { plan, planDestroy } from "../plan/planner.ts";
import { describeOperation } from "./describe.ts";
import { describeSideEffects, foreignSideEffects } from "./foreign_side_effects.ts";
import {
  describeDifferences,
  diffDigests,
  fingerprintOf,
  isSame,
  objectDigests,
} from "./objects.ts";
import { scopedState, type ScopeSpec, scopeSpecOf } from "./scope.ts";
import { forecastUndo, irreversibleSteps, type UndoForecast } from "./undo.ts";

export interface PreparedPlan {
  plan: Plan;
  forecast: UndoForecast;
  scope: ScopeSpec;
}

/** The basis of a plan computed from `observed`. */
export function basisOf(plan: Plan, observed: HostState): PlanBasis {
  const objects = objectDigests(scopedState(observed, scopeSpecOf(plan.desired)));
  return { fingerprint: fingerprintOf(objects), objects };
}

/** Options of {@linkcode preparePlan}. */
export interface PreparePlanOptions {
  /**
   * Accept a plan whose steps delete or change objects the topology does not own (the
   * kernel's cascades), listing them in the plan. Default: false, such a plan is refused.
   */
  allowCascadeForeign?: boolean;
}

/**
 * Sets `irreversible`, `foreign` and `basis` on `plan` (computed from `observed`).
 *
 * @throws {PlanError} when the steps would delete or change objects the topology does not
 * own and `allowCascadeForeign` is not set, naming each one.
 */
export function preparePlan(
  plan: Plan,
  observed: HostState,
  options: PreparePlanOptions = {},
): PreparedPlan {
  const scope = scopeSpecOf(plan.desired);
  // The steps touch only what the topology sees; the rest of the host need not be modelled.
  const seen = scopedState(observed, scope);
  const forecast = forecastUndo(plan.steps, seen);
  const foreign = foreignSideEffects(plan.steps, seen, plan.desired, { forecast });
  refuseForeignSideEffects(plan, foreign, options.allowCascadeForeign ?? false);
  plan.irreversible = irreversibleSteps(plan.steps, forecast);
  if (foreign.length > 0) plan.foreign = foreign;
  else delete plan.foreign;
  plan.basis = basisOf(plan, observed);
  return { plan, forecast, scope };
}

/**
 * Refuses a plan with foreign side effects unless they are allowed.
 *
 * @throws {PlanError} naming every object and the step that takes it.
 */
export function refuseForeignSideEffects(
  plan: Plan,
  foreign: readonly ForeignSideEffect[],
  allowed: boolean,
): void {
  if (foreign.length === 0 || allowed) return;
  const what = plan.kind === "destroy" ? "destroy" : "apply";
  throw new PlanError(
    `Cannot ${what} topology "${plan.topology}": the kernel would also delete or change ` +
      `${foreign.length} object(s) this topology does not own: ${describeSideEffects(foreign)}; ` +
      `remove them or move them elsewhere first, declare them in the topology, or pass ` +
      `--allow-cascade-foreign to let them go with it`,
    foreign.map((f) => f.object),
  );
}

/**
 * Refuses a saved plan whose basis no longer matches the host: it was
 * computed from another state, so its steps may do the wrong thing.
 *
 * @throws {StalePlanError} naming the objects added, removed or changed since.
 */
export function assertFresh(plan: Plan, observed: HostState, file: string): void {
  if (plan.basis === undefined) {
    throw new StalePlanError(
      `Cannot apply the saved plan "${file}": it carries no fingerprint of the state it was ` +
        `computed from, so netform cannot tell whether the host changed since; run ` +
        `\`netform plan --out ${file}\` again`,
      [],
    );
  }
  const now = basisOf(plan, observed);
  if (now.fingerprint === plan.basis.fingerprint) return;
  const d = diffDigests(plan.basis.objects, now.objects);
  if (isSame(d)) return; // same objects, only the digest's input order differed
  throw new StalePlanError(
    `Cannot apply the saved plan "${file}": the host changed since it was planned: ` +
      `${describeDifferences(d, 20)}; run \`netform plan --out ${file}\` again to re-plan ` +
      `against the host as it is now`,
    [...d.added, ...d.removed, ...d.changed],
  );
}

/**
 * Refuses a saved plan whose changes or steps are not what netform plans now for the plan's
 * own topology on this host: a plan file is data anyone could have edited, so ownership is
 * derived from the host again, by planning again, never taken from the file. A saved plan
 * that lists foreign side effects was made with `--allow-cascade-foreign`, and is planned
 * again the same way.
 *
 * @throws {StalePlanError} naming the first changes and steps that differ.
 */
export function assertReplanned(saved: Plan, observed: HostState, file: string): void {
  const options = { allowCascadeForeign: (saved.foreign?.length ?? 0) > 0 };
  let fresh: Plan;
  try {
    fresh = saved.kind === "destroy"
      ? planDestroy(saved.topology, observed, options)
      : plan(saved.desired, observed, options);
  } catch (error) {
    throw new StalePlanError(
      `Cannot apply the saved plan "${file}": netform cannot plan its topology on this host ` +
        `now: ${(error as Error).message}`,
      [],
      { cause: error },
    );
  }
  // Both in the saved form, so key order never counts as a difference.
  const [a, b] = [saved, fresh].map((p) => JSON.parse(encodePlan(p)) as Plan);
  const differences = [
    // Changes are for display (their order too); steps run in their order.
    ...listDifferences("change", a!.changes, b!.changes, (c) => c.address, false),
    ...listDifferences("step", a!.steps, b!.steps, (s) => describeOperation(s.operation), true),
  ];
  if (saved.topology !== fresh.topology || saved.kind !== fresh.kind) {
    differences.unshift(`its topology or kind`);
  }
  if (differences.length === 0) return;
  throw new StalePlanError(
    `Cannot apply the saved plan "${file}": it is not the plan netform makes for topology ` +
      `"${saved.topology}" on this host: ${differences.slice(0, 8).join("; ")}` +
      (differences.length > 8 ? `; and ${differences.length - 8} more` : "") +
      `; was it edited? Run \`netform plan --out ${file}\` again`,
    differences,
  );
}

/**
 * What the file's list has that netform's lacks and the reverse (as multisets, so one added
 * step does not shift every later one), or, when `ordered`, that the same items come in
 * another order.
 */
function listDifferences<T>(
  what: string,
  saved: readonly T[],
  fresh: readonly T[],
  name: (item: T) => string,
  ordered: boolean,
): string[] {
  const texts = (items: readonly T[]) => items.map((item) => JSON.stringify(item));
  const [a, b] = [texts(saved), texts(fresh)];
  const unmatched = new Map<string, number>();
  for (const t of b) unmatched.set(t, (unmatched.get(t) ?? 0) + 1);
  const out: string[] = [];
  a.forEach((t, i) => {
    const left = unmatched.get(t) ?? 0;
    if (left > 0) unmatched.set(t, left - 1);
    else out.push(`${what} ${i + 1} of the file (${name(saved[i]!)}) is not in netform's plan`);
  });
  b.forEach((t, i) => {
    const left = unmatched.get(t) ?? 0;
    if (left === 0) return;
    unmatched.set(t, left - 1);
    out.push(`netform's plan has ${what} "${name(fresh[i]!)}", which the file lacks`);
  });
  if (ordered && out.length === 0 && a.some((t, i) => t !== b[i])) {
    out.push(`the file has netform's ${what}s in another order`);
  }
  return out;
}

/**
 * Refuses a saved plan that lets go of other foreign objects than the ones it lists (the list
 * a reviewer saw): `now` is the same plan prepared again on the host as it is.
 *
 * @throws {StalePlanError} naming the objects that differ.
 */
export function assertSameForeign(saved: Plan, now: Plan, file: string): void {
  const listed = new Set((saved.foreign ?? []).map((f) => f.object));
  const found = new Set((now.foreign ?? []).map((f) => f.object));
  const unlisted = [...found].filter((o) => !listed.has(o));
  const gone = [...listed].filter((o) => !found.has(o));
  if (unlisted.length === 0 && gone.length === 0) return;
  throw new StalePlanError(
    `Cannot apply the saved plan "${file}": the objects it would delete or change that its ` +
      `topology does not own are not the ones it lists` +
      (unlisted.length > 0 ? `: not listed: ${unlisted.join(", ")}` : "") +
      (gone.length > 0 ? `; listed but not affected: ${gone.join(", ")}` : "") +
      `; run \`netform plan --out ${file}\` again`,
    [...unlisted, ...gone],
  );
}
