/**
 * Execution order. Operations fall into phases (all deletes before all creates,
 * because a replacement reuses the name it frees), and within a phase links
 * are ordered by the dependency edges between them: a namespace before the
 * links in it, a master or bridge before the links on it. Deletes run the
 * graph in reverse. Ties break by address, so the order is deterministic.
 *
 * @module
 */
import { PlanError } from "../errors.ts";
import type { Operation } from "../model/operations.ts";
import type { Step } from "./plan.ts";

const PHASE: Readonly<Record<Operation["op"], number>> = {
  "route.delete": 0,
  "address.delete": 1,
  "link.delete": 2,
  "namespace.delete": 3,
  "namespace.create": 4,
  "link.create": 5,
  "link.update": 6,
  "address.add": 7,
  "route.add": 8,
};

/** A step with what orders it within its phase. */
export interface PendingStep extends Step {
  /** Depth of the link in the dependency graph (0 for links that hang off nothing created here). */
  depth: number;
  /** A link update that must wait for the link creations (e.g. once ports have joined a bridge). */
  late?: boolean;
}

/** Sorts steps by phase, then by dependency depth (reversed for deletes), then by address. */
export function orderSteps(steps: readonly PendingStep[]): Step[] {
  const rank = (s: PendingStep) => {
    // Link updates that enslave nothing run before the creations, which may need
    // them: a parent's new MTU, or a parent released from a bridge.
    const early = s.operation.op === "link.update" &&
      typeof s.operation.changes.master !== "string" &&
      !s.late;
    // Late updates (a bridge's MTU set again) wait for every port to have joined, including
    // ports that join through an update of their own.
    const late = s.operation.op === "link.update" && s.late === true;
    const phase = early
      ? PHASE["link.create"] - 0.5
      : late
      ? PHASE["link.update"] + 0.5
      : PHASE[s.operation.op];
    // Routes through a gateway come after routes that make the gateway reachable.
    const viaLast = s.operation.op === "route.add" && s.operation.route.via !== undefined ? 1 : 0;
    return [phase, phase <= PHASE["namespace.delete"] ? -s.depth : s.depth + viaLast] as const;
  };
  const keyed = steps.map((s, i) => ({ s, r: rank(s), i }));
  keyed.sort((a, b) =>
    a.r[0] - b.r[0] || a.r[1] - b.r[1] ||
    (a.s.change < b.s.change ? -1 : a.s.change > b.s.change ? 1 : a.i - b.i)
  );
  return keyed.map(({ s }) => ({ change: s.change, operation: s.operation }));
}

/**
 * Depth of each node in a graph given by `edgesOf` (node → nodes it depends
 * on). Throws a PlanError naming the cycle if there is one.
 */
export function dependencyDepths(
  nodes: Iterable<string>,
  edgesOf: (node: string) => readonly string[],
): Map<string, number> {
  const depth = new Map<string, number>();
  const onPath = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): number => {
    const known = depth.get(node);
    if (known !== undefined) return known;
    if (onPath.has(node)) {
      const cycle = [...path.slice(path.indexOf(node)), node];
      throw new PlanError(`Cannot order the plan: dependency cycle ${cycle.join(" -> ")}`, cycle);
    }
    onPath.add(node);
    path.push(node);
    let d = 0;
    for (const dep of edgesOf(node)) d = Math.max(d, visit(dep) + 1);
    path.pop();
    onPath.delete(node);
    depth.set(node, d);
    return d;
  };
  for (const node of nodes) visit(node);
  return depth;
}
