/**
 * `deno task bench`: netform against iproute2 and the kernel's bulk paths on the same work, and
 * the planner at 100,000 objects on the simulated driver. Needs root, iproute2 and libnl (the
 * live driver). Writes JSON (`--json FILE`) and a Markdown table (`--markdown FILE`).
 *
 * ```sh
 * deno task bench                 # every default size, 5 runs each; writes bench/results.json and bench/RESULTS.md
 * deno task bench --quick --json /tmp/r.json   # a tiny size, one run: a smoke check, not a measurement
 * ```
 *
 * @module
 */
import { benchLiveSize, type Notes, type Samples } from "./live_bench.ts";
import { median, run } from "./measure.ts";
import { benchPlannerScale } from "./planner_scale.ts";
import { renderMarkdown } from "./report.ts";
import type { BenchResults, SizeResult } from "./results.ts";
import type { ScenarioSize } from "./scenario.ts";
import { evaluateTargets, ratiosOf } from "./targets.ts";

/** The sizes measured by default; the last is the target. */
export const DEFAULT_SIZES: ScenarioSize[] = [
  { namespaces: 10, slaves: 100, addresses: 100, routes: 100 },
  { namespaces: 30, slaves: 300, addresses: 300, routes: 300 },
  { namespaces: 100, slaves: 1000, addresses: 1000, routes: 1000 },
];
const QUICK_SIZES: ScenarioSize[] = [{ namespaces: 2, slaves: 4, addresses: 4, routes: 4 }];
/** About 100,000 objects: 1000 namespaces, 33,000 slaves, addresses and routes. */
const PLANNER_SIZE: ScenarioSize = {
  namespaces: 1000,
  slaves: 33000,
  addresses: 33000,
  routes: 33000,
};
const QUICK_PLANNER_SIZE: ScenarioSize = {
  namespaces: 10,
  slaves: 100,
  addresses: 100,
  routes: 100,
};

async function machine(): Promise<Record<string, string>> {
  const text = async (cmd: string, args: string[]) => {
    try {
      return (await run(cmd, args)).stdout.trim();
    } catch {
      return "unknown";
    }
  };
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1];
  return {
    kernel: await text("uname", ["-r"]),
    cpu: cpu ?? "unknown",
    cores: String(navigator.hardwareConcurrency),
    // Other work on the machine moves every figure: say how busy it was when the run began.
    "load average at start (1/5/15 min)": Deno.loadavg().map((l) => l.toFixed(2)).join(" / "),
    memory: `${Math.round(Deno.systemMemoryInfo().total / 2 ** 30)} GiB`,
    iproute2: await text("ip", ["-V"]),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

function summarize(samples: Samples, notes: Notes): SizeResult["cases"] {
  const out: SizeResult["cases"] = {};
  for (const [name, values] of Object.entries(samples)) {
    out[name] = {
      medianMs: median(values),
      samplesMs: values,
      ...(notes[name] === undefined ? {} : { note: notes[name] }),
    };
  }
  return out;
}

function parseSize(text: string): ScenarioSize {
  const [namespaces, slaves, addresses, routes] = text.split(":").map(Number);
  if ([namespaces, slaves, addresses, routes].some((n) => !Number.isInteger(n) || n! < 1)) {
    throw new Error(`Cannot read size "${text}": write NAMESPACES:SLAVES:ADDRESSES:ROUTES`);
  }
  return { namespaces: namespaces!, slaves: slaves!, addresses: addresses!, routes: routes! };
}

/** Runs the benchmark as `args` ask and returns the results. */
export async function runBench(args: string[]): Promise<BenchResults> {
  const flag = (name: string) => args.includes(name);
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const quick = flag("--quick");
  const runs = Number(value("--runs") ?? (quick ? 1 : 5));
  const sizes = value("--sizes")?.split(",").map(parseSize) ??
    (quick ? QUICK_SIZES : DEFAULT_SIZES);
  const log = (line: string) => console.error(line);
  const results: SizeResult[] = [];
  for (const size of sizes) {
    log(`size ${JSON.stringify(size)}: ${runs} run(s)`);
    const { samples, notes, steps, commands } = await benchLiveSize(size, {
      runs,
      perOpLimit: quick ? 10_000 : 700,
      settleMs: quick ? 50 : 1000,
      log,
    });
    const cases = summarize(samples, notes);
    const ratios = ratiosOf(cases);
    results.push({
      size,
      steps,
      ipCommands: commands,
      cases,
      ratios,
      targets: evaluateTargets(cases, ratios),
    });
  }
  log("planner at scale (simulated driver)");
  const planner = await benchPlannerScale(quick ? QUICK_PLANNER_SIZE : PLANNER_SIZE);
  return {
    formatVersion: 1,
    date: new Date().toISOString(),
    quick,
    runs,
    machine: await machine(),
    sizes: results,
    plannerScale: {
      ...planner,
      target: {
        name: "diff and order of 100,000 objects on the simulated driver",
        goal: "< 1000 ms (converged: observe + diff + order)",
        value: `${planner.planConvergedMs.toFixed(0)} ms converged (CPU ${
          planner.planConvergedCpuMs.toFixed(0)
        }), ${planner.planCreateMs.toFixed(0)} ms from empty (CPU ${
          planner.planCreateCpuMs.toFixed(0)
        }), ${planner.objects} objects`,
        met: planner.objects >= 100_000 && planner.planConvergedMs < 1000 &&
          planner.planCreateMs < 1000,
      },
    },
  };
}

if (import.meta.main) {
  const results = await runBench(Deno.args);
  const i = Deno.args.indexOf("--json");
  const j = Deno.args.indexOf("--markdown");
  const json = JSON.stringify(results, null, 2) + "\n";
  if (i >= 0) await Deno.writeTextFile(Deno.args[i + 1]!, json);
  if (j >= 0) await Deno.writeTextFile(Deno.args[j + 1]!, renderMarkdown(results));
  console.log(renderMarkdown(results));
}
