/**
 * Crash recovery on this machine's kernel: `netform apply` (a subprocess, the live driver) is
 * SIGKILLed at random points, over and over. After each kill, the next `apply` must converge
 * (`plan --detailed-exitcode` exits 0) and `destroy` must leave no namespace and no link of the
 * topology behind, as `ip` sees it. The recovery runs are the CLI too (`main()` in this process,
 * output captured), which keeps 50 trials within about two minutes.
 *
 * Where a trial kills: at a random time in the steps' window, measured once (from "Plan:",
 * printed just before the first step, to "Apply complete!"), or as soon as a random number of
 * steps was reported (the kill then lands in one of the next steps); every tenth attempt at a
 * random time from the start instead (while it loads, plans, takes the lock or recovers). Only kills
 * that land before the apply finished count toward the 50. Every tenth attempt is followed by
 * `destroy` alone instead (not counted), which must also leave nothing. Needs root; everything is named
 * after a unique prefix and removed in `finally`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.ts";
import { hostSnapshot, leftoverNamespaces, removeNamespaces, uniquePrefix } from "./_unique.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MOD_URL = new URL("../../mod.ts", import.meta.url).href;
const isRoot = Deno.uid?.() === 0;
const TRIALS = 50;
/** Other live tests apply to this host at the same time: wait for their lock. */
const LIVE = ["--driver", "live", "--auto-approve", "--lock-timeout", "120s"];

/** veth, a bridge with a veth port, a macvlan on a veth end, addresses and routes, in three namespaces. */
function manifest(prefix: string): string {
  const ns = (n: string) => JSON.stringify(prefix + n);
  const ref = (n: string, link: string) => JSON.stringify(`${prefix}${n}/${link}`);
  return `import { topology } from ${JSON.stringify(MOD_URL)};

export default topology({
  name: ${JSON.stringify(`${prefix}crash`)},
  namespaces: {
    [${ns("gw")}]: {
      links: {
        lo: { kind: "loopback" },
        br0: { kind: "bridge", addresses: ["10.40.0.1/24"] },
        "p-a": { kind: "veth", peer: ${ref("a", "eth0")}, master: "br0" },
        up0: { kind: "veth", peer: ${ref("lan", "down0")}, addresses: ["10.41.0.1/24"] },
      },
    },
    [${ns("a")}]: {
      links: {
        lo: { kind: "loopback" },
        eth0: { kind: "veth", peer: ${ref("gw", "p-a")}, mtu: 1450, addresses: ["10.40.0.11/24"] },
      },
      routes: [{ to: "default", via: "10.40.0.1" }],
    },
    [${ns("lan")}]: {
      links: {
        lo: { kind: "loopback" },
        down0: { kind: "veth", peer: ${ref("gw", "up0")}, addresses: ["10.41.0.2/24"] },
        mv0: { kind: "macvlan", parent: "down0", addresses: ["10.42.0.1/24"] },
      },
      routes: [{ to: "10.40.0.0/24", via: "10.41.0.1", dev: "down0" }],
    },
  },
});
`;
}

/** Runs the CLI in this process with its output captured instead of printed. */
async function cli(args: string[]): Promise<{ code: number; output: string }> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const out = Deno.stdout.writeSync;
  const err = Deno.stderr.writeSync;
  const capture = (bytes: Uint8Array) => {
    chunks.push(decoder.decode(bytes));
    return bytes.length;
  };
  Deno.stdout.writeSync = capture;
  Deno.stderr.writeSync = capture;
  try {
    const code = await main(args);
    return { code, output: chunks.join("") };
  } finally {
    Deno.stdout.writeSync = out;
    Deno.stderr.writeSync = err;
  }
}

/** Links of the topology's namespaces as `ip` lists them (none when the namespaces are gone). */
async function leftoverLinks(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const ns of await leftoverNamespaces(prefix)) {
    const r = await new Deno.Command("ip", { args: ["-n", ns, "-o", "link"], stdout: "piped" })
      .output();
    out.push(...new TextDecoder().decode(r.stdout).trim().split("\n").map((l) => `${ns}: ${l}`));
  }
  return out;
}

interface KillOutcome {
  /** Steps the apply had reported when it died. */
  reported: number;
  /** Killed by our SIGKILL before it reported "Apply complete!". */
  midApply: boolean;
  /** ms from "Plan:" (just before the first step) to "Apply complete!", as the reader saw them. */
  stepsMs?: number;
}

/**
 * Starts `apply` and SIGKILLs it `delayMs` after it prints "Plan:" (steps start right after),
 * or `delayMs` after it starts with `fromStart`; `Infinity` lets it finish (calibration).
 */
async function applyAndKill(
  file: string,
  delayMs: number,
  fromStart = false,
  /** Instead of a time: kill as soon as this many steps were reported. */
  afterSteps?: number,
): Promise<KillOutcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      "mod.ts",
      "apply",
      file,
      "--driver",
      "live",
      "--auto-approve",
      "--lock-timeout",
      "60s",
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let killed = false;
  const kill = () => {
    try {
      child.kill("SIGKILL");
      killed = true;
    } catch {
      // It had exited already.
    }
  };
  if (fromStart && Number.isFinite(delayMs)) setTimeout(kill, delayMs);
  let text = "";
  let planAt: number | undefined;
  let doneAt: number | undefined;
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (planAt === undefined && text.includes("Plan: ")) {
      planAt = performance.now();
      if (!fromStart && afterSteps === undefined && Number.isFinite(delayMs)) {
        setTimeout(kill, delayMs);
      }
    }
    if (afterSteps !== undefined && !killed && planAt !== undefined) {
      const reported = text.split("\n").filter((l) => l.startsWith("  done: ")).length;
      if (reported >= afterSteps) kill();
    }
    if (doneAt === undefined && text.includes("Apply complete!")) doneAt = performance.now();
  }
  const status = await child.status;
  const complete = text.includes("Apply complete!");
  return {
    reported: text.split("\n").filter((l) => l.startsWith("  done: ")).length,
    midApply: killed && status.signal === "SIGKILL" && !complete,
    ...(planAt !== undefined && doneAt !== undefined ? { stepsMs: doneAt - planAt } : {}),
  };
}

Deno.test({
  name:
    "netform apply SIGKILLed at random points: the next apply converges and destroy leaves nothing, 50 times",
  ignore: !isRoot,
  async fn() {
    const before = await hostSnapshot();
    const prefix = uniquePrefix("nfk");
    const dir = await Deno.makeTempDir({ prefix: "netform_crash_test_" });
    const file = join(dir, "topology.ts");
    const started = Date.now();
    const figures = {
      kills: 0,
      attempts: 0,
      recoveries: 0,
      marked: 0,
      staleFiles: 0,
      directDestroys: 0,
    };
    const reachedSteps = new Set<number>();
    const count = (output: string) => {
      if (output.includes("Recovered from an apply")) figures.recoveries++;
      figures.marked += (output.match(/made but not yet marked as owned/g) ?? []).length;
      figures.staleFiles += (output.match(/which has no namespace on it/g) ?? []).length;
    };
    try {
      await Deno.writeTextFile(file, manifest(prefix));
      // One run to the end, to learn how long the steps take from "Plan:" on.
      const calibration = await applyAndKill(file, Infinity);
      const steps = calibration.reported;
      assert.ok(steps >= 15, `the topology takes ${steps} steps`);
      const stepsMs = Math.max(5, calibration.stepsMs ?? 50);
      assert.equal((await cli(["destroy", file, ...LIVE])).code, 0);

      // Trials until 50 kills landed inside an apply (a kill after it finished does not count).
      while (figures.kills < TRIALS) {
        assert.ok(
          figures.attempts < TRIALS * 3,
          `only ${figures.kills} kills landed in ${figures.attempts} attempts`,
        );
        figures.attempts++;
        const fromStart = figures.attempts % 10 === 0;
        // Half by time over the steps' window, half right after the k-th reported step (the time
        // window is skewed when the machine is busy); every tenth from the process start.
        const outcome = fromStart
          ? await applyAndKill(file, Math.random() * 1500, true)
          : figures.attempts % 2 === 0
          ? await applyAndKill(file, Math.random() * stepsMs)
          // (the last steps are left to the timed kills: by the time the reader sees them, the
          // apply is often done)
          : await applyAndKill(file, 0, false, Math.floor(Math.random() * (steps - 3)));
        if (outcome.midApply) {
          figures.kills++;
          reachedSteps.add(outcome.reported);
        }
        const what =
          `attempt ${figures.attempts} (killed after ${outcome.reported} of ${steps} steps)`;

        // Every tenth attempt goes straight to destroy: it must find and remove everything the
        // killed apply made, unmarked objects included. Not counted toward the 50.
        if (figures.attempts % 10 === 5 && outcome.midApply) {
          figures.kills--;
          figures.directDestroys++;
          const destroy = await cli(["destroy", file, ...LIVE]);
          assert.equal(destroy.code, 0, `${what}: destroy right after\n${destroy.output}`);
          count(destroy.output);
          assert.deepEqual(await leftoverNamespaces(prefix), [], `${what}: namespaces left`);
          assert.deepEqual(await leftoverLinks(prefix), [], `${what}: links left`);
          continue;
        }

        const again = await cli(["apply", file, ...LIVE]);
        assert.equal(again.code, 0, `${what}: the next apply\n${again.output}`);
        count(again.output);
        const plan = await cli(["plan", file, "--driver", "live", "--detailed-exitcode"]);
        assert.equal(plan.code, 0, `${what}: plan --detailed-exitcode after it\n${plan.output}`);

        const destroy = await cli(["destroy", file, ...LIVE]);
        assert.equal(destroy.code, 0, `${what}: destroy\n${destroy.output}`);
        assert.deepEqual(await leftoverNamespaces(prefix), [], `${what}: namespaces left`);
        assert.deepEqual(await leftoverLinks(prefix), [], `${what}: links left`);
      }
    } finally {
      await removeNamespaces(prefix);
      await Deno.remove(dir, { recursive: true });
    }
    console.log(
      `crash trials: ${figures.kills} SIGKILLs inside an apply in ${figures.attempts} attempts, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s; killed after ` +
        `${[...reachedSteps].sort((a, b) => a - b).join(",")} reported step(s); ` +
        `${figures.recoveries} recoveries marked ${figures.marked} object(s) and removed ` +
        `${figures.staleFiles} stale namespace file(s); ${figures.directDestroys} more kills ` +
        `were followed by destroy alone`,
    );
    assert.equal(
      await hostSnapshot(),
      before,
      "the host's own links, addresses and routes are untouched",
    );
  },
});
