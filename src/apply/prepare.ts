/**
 * What the CLI adds to a plan before showing, saving or applying it: the
 * steps whose undo is not exact, and the basis (a fingerprint of what the
 * topology's scope saw), and the check that a saved plan's basis still holds.
 *
 * @module
 */
import { StalePlanError } from "../errors.ts";
import type { HostState } from "../model/state.ts";
import type { Plan, PlanBasis } from "../plan/plan.ts";
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

/** Sets `irreversible` and `basis` on `plan` (computed from `observed`). */
export function preparePlan(plan: Plan, observed: HostState): PreparedPlan {
  const scope = scopeSpecOf(plan.desired);
  // The steps touch only what the topology sees; the rest of the host need not be modelled.
  const forecast = forecastUndo(plan.steps, scopedState(observed, scope));
  plan.irreversible = irreversibleSteps(plan.steps, forecast);
  plan.basis = basisOf(plan, observed);
  return { plan, forecast, scope };
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
