/**
 * The live half of the benchmark, for one scenario size: netform (whole commands and the work
 * inside them) against the same operations through `ip -batch`, one `ip` process per operation,
 * `ip -j` dumps, and the kernel's bulk delete paths. Everything happens in namespaces named
 * with a fresh prefix, removed afterwards even on failure.
 *
 * @module
 */
import process from "node:process";
import { applyPlan } from "../src/apply/apply.ts";
import { LiveDriver } from "../src/drivers/live/driver.ts";
import { observeState } from "../src/drivers/sim/observe.ts";
import { defaultHost } from "../src/drivers/sim/snapshot.ts";
import { loadManifest, validateManifestValue } from "../src/manifest/load.ts";
import { plan, planDestroy } from "../src/plan/planner.ts";
import { batchFiles, type IpCommand, ipCommandsFor, sequential } from "./ip_commands.ts";
import {
  ip,
  namespacesWithPrefix,
  removeNamespaces,
  run,
  settle,
  timed,
  until,
} from "./measure.ts";
import { generateScenario, manifestSource, type Scenario, type ScenarioSize } from "./scenario.ts";

/** Milliseconds of each case in each run, by case name. */
export type Samples = Record<string, number[]>;
/** Notes on how a case was measured, by case name. */
export type Notes = Record<string, string>;

const MOD_URL = new URL("../mod.ts", import.meta.url);
const GROUP = "7";

function uniquePrefix(): string {
  return `nfb${crypto.randomUUID().slice(0, 5)}-`;
}

/** The `ip` commands of the plan that creates `scenario` on a fresh host. */
export function scenarioCommands(scenario: Scenario): IpCommand[] {
  const topology = validateManifestValue("bench", scenario.input);
  const steps = plan(topology, observeState(defaultHost().state)).steps;
  return steps.flatMap((s) => ipCommandsFor(s.operation));
}

/** Runs one `ip -batch` process per batch file, in order. */
async function runBatches(commands: readonly IpCommand[]): Promise<void> {
  for (const file of batchFiles(commands)) {
    const args = file.namespace === null ? ["-batch", "-"] : ["-n", file.namespace, "-batch", "-"];
    await run("ip", args, { stdin: file.lines.join("\n") + "\n" });
  }
}

/** The same commands with the slaves put in link group 7 (for `ip link del group 7`). */
function withGroup(commands: readonly IpCommand[]): IpCommand[] {
  return commands.map((c) =>
    c.args[0] === "link" && c.args[1] === "add" && c.args.includes("macvlan")
      ? { ...c, args: [...c.args.slice(0, 3), "group", GROUP, ...c.args.slice(3)] }
      : c
  );
}

/** Whether `ip` lists none of the namespaces. */
async function noNamespaces(prefix: string): Promise<boolean> {
  return (await namespacesWithPrefix(prefix)).length === 0;
}

/** Whether no tenant namespace lists a macvlan (one `ip` process per namespace). */
async function noSlaves(s: Scenario): Promise<boolean> {
  for (const ns of s.tenants) {
    const { stdout } = await ip(ns, ["-o", "link", "show", "type", "macvlan"]);
    if (stdout.trim() !== "") return false;
  }
  return true;
}

/**
 * Milliseconds from the start of `action` until `gone()` holds. When it already holds as soon
 * as `action` returns (the kernel's deletes are synchronous), the time is `action`'s alone:
 * the check's own `ip` processes are not counted. Otherwise the polling until it holds is.
 */
async function timedUntilGone(
  action: () => Promise<unknown>,
  gone: () => Promise<boolean>,
  what: string,
): Promise<number> {
  const start = performance.now();
  await action();
  const returned = performance.now();
  if (await gone()) return returned - start;
  await until(gone, what);
  return performance.now() - start;
}

/** `ip -j` dumps of links (details), addresses and routes of every namespace, one process each. */
async function ipJsonDump(s: Scenario): Promise<void> {
  for (const ns of [s.host, ...s.tenants]) {
    await run("ip", ["-n", ns, "-j", "-d", "-batch", "-"], {
      stdin: "link show\naddress show\nroute show table all\n",
    });
  }
}

function netform(args: readonly string[], allow: readonly number[] = []) {
  return run(
    Deno.execPath(),
    ["run", "-A", "--unstable-worker-options", MOD_URL.pathname, ...args],
    {
      allow,
    },
  );
}

function add(samples: Samples, name: string, ms: number): void {
  (samples[name] ??= []).push(ms);
}

/** Options of {@linkcode benchLiveSize}. */
export interface LiveBenchOptions {
  runs: number;
  /** Most commands the one-process-per-operation case runs before it extrapolates. */
  perOpLimit: number;
  /** Pause after each teardown so the kernel's asynchronous cleanup does not skew the next case. */
  settleMs: number;
  log?: (line: string) => void;
}

/** Measures every live case at `size`, `options.runs` times. */
export async function benchLiveSize(
  size: ScenarioSize,
  options: LiveBenchOptions,
): Promise<{ samples: Samples; notes: Notes; steps: number; commands: number }> {
  const samples: Samples = {};
  const notes: Notes = {};
  const log = options.log ?? (() => {});
  const dir = await Deno.makeTempDir({ prefix: "netform-bench-" });
  let steps = 0;
  let commandCount = 0;
  try {
    for (let r = 0; r < options.runs; r++) {
      const prefix = uniquePrefix();
      try {
        const s = generateScenario(size, prefix);
        const manifest = `${dir}/${prefix}bench.ts`;
        await Deno.writeTextFile(manifest, manifestSource(s, MOD_URL.href));
        const commands = scenarioCommands(s);
        commandCount = commands.length;

        // netform, whole commands: apply, converged plan, destroy.
        log(`  run ${r + 1}: netform commands`);
        add(
          samples,
          "netform.apply.command",
          await timed(() => netform(["apply", manifest, "--auto-approve"])),
        );
        add(
          samples,
          "netform.plan.converged.command",
          await timed(async () => {
            const { code } = await netform(["plan", manifest, "--detailed-exitcode"], [2]);
            if (code !== 0) throw new Error("The re-plan after apply is not empty");
          }),
        );
        add(
          samples,
          "netform.destroy.command",
          await timedUntilGone(
            () => netform(["destroy", manifest, "--auto-approve"]),
            () => noNamespaces(prefix),
            "namespaces to go",
          ),
        );
        await settle(options.settleMs);

        // netform, the work inside: execute the plan, observe, converged plan, destroy.
        log(`  run ${r + 1}: netform in-process`);
        const topology = await loadManifest(manifest);
        const driver = new LiveDriver();
        try {
          const first = plan(topology, await driver.observe());
          steps = first.steps.length;
          const report = await applyPlan(first, driver);
          add(samples, "netform.apply.execute", report.timings.execute);
          add(samples, "netform.apply.verify", report.timings.verify);
          add(samples, "netform.observe", await timed(() => driver.observe()));
          const cpu = process.cpuUsage();
          add(
            samples,
            "netform.plan.converged.work",
            await timed(async () => {
              const again = plan(topology, await driver.observe());
              if (again.changes.length !== 0) {
                throw new Error("The re-plan after apply is not empty");
              }
            }),
          );
          const used = process.cpuUsage(cpu);
          // User + system time of this process (kernel time of its dumps included): the wall
          // time less what other processes took from it.
          add(samples, "netform.plan.converged.cpu", (used.user + used.system) / 1000);
          const { namespaces } = await driver.observe();
          add(samples, "host.namespaces", Object.keys(namespaces).length);
          const destroy = planDestroy(topology.name, await driver.observe());
          let executeMs = 0;
          // Steps, verify, and until `ip` lists none of the namespaces.
          add(
            samples,
            "netform.destroy.work",
            await timedUntilGone(
              async () => executeMs = (await applyPlan(destroy, driver)).timings.execute,
              () => noNamespaces(prefix),
              "namespaces to go",
            ),
          );
          add(samples, "netform.destroy.execute", executeMs);
        } finally {
          driver.close();
        }
        await settle(options.settleMs);

        // iproute2: one ip -batch file per namespace, then dumps, then the namespace bulk path.
        log(`  run ${r + 1}: ip -batch`);
        add(samples, "ip.batch.apply", await timed(() => runBatches(commands)));
        add(samples, "ip.json.dump", await timed(() => ipJsonDump(s)));
        add(
          samples,
          "kernel.delete.netns",
          await timedUntilGone(
            () =>
              run("ip", ["-batch", "-"], {
                stdin: [s.host, ...s.tenants].map((n) => `netns del ${n}\n`).join(""),
              }),
            () => noNamespaces(prefix),
            "namespaces to go",
          ),
        );
        await settle(options.settleMs);

        // The lower device's delete takes every slave with it.
        await runBatches(commands);
        add(
          samples,
          "kernel.delete.lower",
          await timedUntilGone(
            () => ip(s.host, ["link", "del", "uplink"]),
            () => noSlaves(s),
            "slaves to go",
          ),
        );
        await removeNamespaces(prefix);
        await settle(options.settleMs);

        // One group delete per tenant namespace.
        await runBatches(withGroup(commands));
        add(
          samples,
          "kernel.delete.group",
          await timedUntilGone(
            async () => {
              for (const ns of s.tenants) await ip(ns, ["link", "del", "group", GROUP]);
            },
            () => noSlaves(s),
            "slaves to go",
          ),
        );
        await removeNamespaces(prefix);
        await settle(options.settleMs);

        // One ip process per operation, on a scaled-down scenario of the same shape when the
        // full one has more than perOpLimit commands.
        log(`  run ${r + 1}: one ip process per operation`);
        const scale = Math.min(1, options.perOpLimit / commands.length);
        const sub = scale === 1 ? s : generateScenario(scaledSize(size, scale), prefix);
        const subCommands = scale === 1 ? commands : scenarioCommands(sub);
        const ms = await timed(async () => {
          for (const c of sequential(subCommands)) await ip(c.namespace, c.args);
        });
        add(samples, "ip.perop.apply", ms * commands.length / subCommands.length);
        if (subCommands.length < commands.length) {
          notes["ip.perop.apply"] = `sampled: ran ${subCommands.length} of ${commands.length} ` +
            `commands (${sub.size.namespaces} of ${size.namespaces} namespaces, same shape), ` +
            `time scaled by ${(commands.length / subCommands.length).toFixed(2)}`;
        }
        await removeNamespaces(prefix);
        await settle(options.settleMs);
      } finally {
        await removeNamespaces(prefix);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return { samples, notes, steps, commands: commandCount };
}

/** `size` scaled by `factor` in namespaces, keeping the per-namespace shape. */
export function scaledSize(size: ScenarioSize, factor: number): ScenarioSize {
  const namespaces = Math.max(1, Math.floor(size.namespaces * factor));
  const per = (n: number) => Math.max(1, Math.round(n / size.namespaces)) * namespaces;
  return {
    namespaces,
    slaves: per(size.slaves),
    addresses: Math.round(size.addresses / size.namespaces) * namespaces,
    routes: Math.round(size.routes / size.namespaces) * namespaces,
  };
}
