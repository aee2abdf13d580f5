/**
 * The planner at scale, on the simulated driver: diff and order of a topology with about
 * 100,000 objects, from an empty host (everything to create) and converged (nothing to do),
 * with the memory it takes. Also times the simulator applying the whole plan.
 *
 * @module
 */
import process from "node:process";
import { applyPlan } from "../src/apply/apply.ts";
import { SimDriver } from "../src/drivers/sim/driver.ts";
import { defaultHost } from "../src/drivers/sim/snapshot.ts";
import { validateManifestValue } from "../src/manifest/load.ts";
import { plan } from "../src/plan/planner.ts";
import { timed } from "./measure.ts";
import { generateScenario, type ScenarioSize } from "./scenario.ts";

/** What the planner-scale case reports. */
export interface PlannerScaleResult {
  size: ScenarioSize;
  /** Namespaces, links, addresses and routes of the desired topology. */
  objects: number;
  steps: number;
  /** Validating and normalizing the manifest's value (no worker). */
  validateMs: number;
  /** Observe the empty simulated host, diff and order: everything to create. */
  planCreateMs: number;
  /** Heap growth while planning from empty (MB, V8 heapUsed; includes garbage not yet collected). */
  planCreateHeapMB: number;
  /** The simulator executing every step (its per-operation atomicity included). */
  simApplyMs: number;
  /** CPU time (user + system) of planning from empty: wall time less what other processes took. */
  planCreateCpuMs: number;
  /** Observe the converged simulated host, diff and order: nothing to do. */
  planConvergedMs: number;
  planConvergedCpuMs: number;
  planConvergedHeapMB: number;
  /** Resident set size at the end (MB). */
  rssMB: number;
}

/** Wall and CPU milliseconds of `fn`. */
async function timedCpu(fn: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const ms = await timed(fn);
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

function heapMB(): number {
  return Deno.memoryUsage().heapUsed / 2 ** 20;
}

/** Runs the planner-scale case at `size`. */
export async function benchPlannerScale(size: ScenarioSize): Promise<PlannerScaleResult> {
  const s = generateScenario(size, "p");
  let topology!: ReturnType<typeof validateManifestValue>;
  const validateMs = await timed(() => topology = validateManifestValue("bench", s.input));
  const objects = Object.values(topology.namespaces).reduce(
    (n, ns) =>
      n + 1 + ns.routes.length +
      Object.values(ns.links).reduce((m, l) => m + 1 + l.addresses.length, 0),
    0,
  );
  const driver = new SimDriver(defaultHost());
  let first!: ReturnType<typeof plan>;
  const heap0 = heapMB();
  const create = await timedCpu(async () => first = plan(topology, await driver.observe()));
  const planCreateHeapMB = heapMB() - heap0;
  const simApplyMs = (await applyPlan(first, driver)).timings.execute;
  const heap1 = heapMB();
  const converged = await timedCpu(async () => {
    const again = plan(topology, await driver.observe());
    if (again.changes.length !== 0) throw new Error("The converged plan is not empty");
  });
  const planConvergedHeapMB = heapMB() - heap1;
  return {
    size,
    objects,
    steps: first.steps.length,
    validateMs,
    planCreateMs: create.ms,
    planCreateCpuMs: create.cpuMs,
    planCreateHeapMB,
    simApplyMs,
    planConvergedMs: converged.ms,
    planConvergedCpuMs: converged.cpuMs,
    planConvergedHeapMB,
    rssMB: Deno.memoryUsage().rss / 2 ** 20,
  };
}
