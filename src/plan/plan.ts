/**
 * A plan is plain, versioned data: the changes to show (sorted by address) and
 * the steps to run (in dependency order). `apply` needs nothing else, so a plan
 * saved with `--out` is applied exactly as it was shown.
 *
 * @module
 */
import type { Operation } from "../model/operations.ts";
import type { Topology } from "../model/state.ts";

/** Bump the minor version for additive changes, the major for breaking ones. */
export const PLAN_FORMAT_VERSION = "1.2";
/** Versions a reader of this version reads: every earlier minor of its major (all additive). */
export const READABLE_PLAN_FORMATS = ["1.0", "1.1", "1.2"] as const;
export type PlanFormatVersion = typeof READABLE_PLAN_FORMATS[number];

export type Action = "create" | "update" | "replace" | "delete" | "import";
export type ResourceType = "namespace" | "link" | "address" | "route";

/** A display value of one attribute. */
export type AttributeValue = string | number | boolean | null;
export type Attributes = Record<string, AttributeValue>;

export interface Change {
  /** Stable identity: `namespace.ns1`, `link.ns1.ipvl1`, `address.ns1.ipvl1["10.0.0.2/24"]`, `route.ns1.main["default"]`. */
  address: string;
  type: ResourceType;
  /** The namespace the object lives in (`root` for the host's own). */
  namespace: string;
  action: Action;
  /** Attributes before the change; `null` when created. */
  before: Attributes | null;
  /** Attributes after the change; `null` when deleted. */
  after: Attributes | null;
  /** Attributes whose change forces the replacement (action `replace`). */
  replacePaths: string[];
  /** Why; for display only. */
  reason: string;
  /**
   * Set when the kernel removes this object together with another one (a link
   * in a deleted namespace, the slaves of a deleted master): no step of its own.
   */
  cascadeOf?: string;
}

/** A step whose undo does not give back exactly what was there. */
export interface Irreversible {
  /** 1-based position in `steps`. */
  step: number;
  change: string;
  reason: string;
}

/**
 * An object this topology does not own that a step deletes or changes as a side effect (the
 * kernel's cascade: a namespace takes everything in it, a link its addresses and the routes
 * through it). Listed only in a plan made with `--allow-cascade-foreign`; without it such a plan
 * is refused.
 */
export interface ForeignSideEffect {
  /** The object's address (`address.ns1.v0["10.9.0.1/24"]`). */
  object: string;
  effect: "deleted" | "changed" | "moved to the root namespace";
  /** 1-based position in `steps` of the step that does it. */
  step: number;
  change: string;
}

/**
 * What a saved plan was computed from: a digest of every object the
 * topology's scope sees (see `src/apply/scope.ts`), so `apply plan.json` can
 * tell that the host changed since, and which objects did.
 */
export interface PlanBasis {
  fingerprint: string;
  /** Object address → 16 hex digits of its digest. */
  objects: Record<string, string>;
}

/** One kernel operation, tagged with the change it belongs to. */
export interface Step {
  change: string;
  operation: Operation;
}

export interface PlanSummary {
  import: number;
  add: number;
  change: number;
  destroy: number;
}

export interface Plan {
  formatVersion: PlanFormatVersion;
  /** `apply` converges to the manifest; `destroy` removes what the topology owns. */
  kind: "apply" | "destroy";
  topology: string;
  /** Changes in address order, for display. */
  changes: Change[];
  /** Operations in execution order. */
  steps: Step[];
  summary: PlanSummary;
  /**
   * The state the plan converges to, so a saved plan can be verified after
   * apply without the manifest (empty for a destroy plan).
   */
  desired: Topology;
  /** Steps whose undo is not exact, worked out before anything runs (empty: all exact). */
  irreversible?: Irreversible[];
  /**
   * Objects not owned by the topology that the steps delete or change (empty or absent: none).
   * Added in 1.2.
   */
  foreign?: ForeignSideEffect[];
  /** The observed state the plan was computed from (set on plans shown or saved by the CLI). */
  basis?: PlanBasis;
}

/** Counts changes the way Terraform does: a replace is one add and one destroy. */
export function summarize(changes: readonly Change[]): PlanSummary {
  const summary: PlanSummary = { import: 0, add: 0, change: 0, destroy: 0 };
  for (const c of changes) {
    switch (c.action) {
      case "create":
        summary.add++;
        break;
      case "update":
        summary.change++;
        break;
      case "replace":
        summary.add++;
        summary.destroy++;
        break;
      case "delete":
        summary.destroy++;
        break;
      case "import":
        summary.import++;
        break;
    }
  }
  return summary;
}

/** True when the plan changes nothing. */
export function isEmpty(plan: Plan): boolean {
  return plan.changes.length === 0;
}
