/**
 * The shape of one run's results (`bench/results.json`), shared by the runner and the report.
 *
 * @module
 */
import type { PlannerScaleResult } from "./planner_scale.ts";
import type { ScenarioSize } from "./scenario.ts";
import type { Target } from "./targets.ts";

/** One size's results. */
export interface SizeResult {
  size: ScenarioSize;
  /** Steps of netform's plan and `ip` commands of the baselines for the same work. */
  steps: number;
  ipCommands: number;
  /** Median milliseconds per case, with every sample. */
  cases: Record<string, { medianMs: number; samplesMs: number[]; note?: string }>;
  /** Named ratios (netform / baseline unless the name says otherwise). */
  ratios: Record<string, number>;
  targets: Target[];
}

/** Everything one run of the benchmark produced. */
export interface BenchResults {
  formatVersion: 1;
  date: string;
  quick: boolean;
  runs: number;
  machine: Record<string, string>;
  sizes: SizeResult[];
  plannerScale: PlannerScaleResult & { target: Target };
}
