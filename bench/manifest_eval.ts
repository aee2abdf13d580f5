/**
 * How long evaluating a manifest takes in the child-process sandbox
 * (`src/manifest/sandbox.ts`) and in the Worker netform used before, and what
 * each does with a manifest that loops or allocates without end.
 *
 *   deno run -A --unstable-worker-options bench/manifest_eval.ts [--runs 20]
 *
 * The Worker's allocation bomb is run in a separate process capped at a
 * 256 MiB heap, because it takes down the process it runs in.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import process from "node:process";
import { loadManifest } from "../src/manifest/load.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const VALID = `${ROOT}/examples/l3s.ts`;
const HOSTILE = `${ROOT}/tests/testdata/hostile`;
const runs = Number(Deno.args[Deno.args.indexOf("--runs") + 1] || 20);

/** The old evaluation: a Worker limited to reading the folder and netform's sources. */
function workerEval(file: string, timeoutMs: number): Promise<unknown> {
  const worker = new Worker(new URL("./_worker_eval.ts", import.meta.url).href, {
    type: "module",
    deno: {
      permissions: {
        read: [dirname(file), `${ROOT}/mod.ts`, `${ROOT}/src/`],
        net: false,
        ffi: false,
        run: false,
        env: false,
        write: false,
        sys: false,
        import: false,
      },
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise((done) => {
    timer = setTimeout(() => done({ kind: "timeout" }), timeoutMs);
    worker.onmessage = (e) => done(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      done({ kind: "error" });
    };
    worker.postMessage({ url: `file://${file}` });
  }).finally(() => {
    clearTimeout(timer);
    worker.terminate();
  });
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
  return `median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${s[0]!.toFixed(1)} ms (${s.length} runs)`;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn().catch(() => {});
  return performance.now() - t0;
}

/** CPU time (ms) the whole process spends during `ms` of wall time. */
async function cpuDuring(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await new Promise((r) => setTimeout(r, ms));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

if (import.meta.main && !Deno.args.includes("--worker-bomb")) {
  // Warm both paths once (module loading, transpile caches).
  await loadManifest(VALID);
  await workerEval(VALID, 10_000);

  const child: number[] = [];
  const worker: number[] = [];
  for (let i = 0; i < runs; i++) {
    child.push(await time(() => loadManifest(VALID)));
    worker.push(await time(() => workerEval(VALID, 10_000)));
  }
  console.log(`valid manifest (examples/l3s.ts), load + validate:`);
  console.log(`  child process: ${stats(child)}`);
  console.log(`  Worker:        ${stats(worker)}`);

  for (
    const [name, limits] of [
      ["loop_forever.ts", { timeoutMs: 1000 }],
      ["heap_bomb.ts", {}],
      ["arraybuffer_bomb.ts", {}],
      ["node_worker_threads.ts", {}],
    ] as const
  ) {
    const ms = await time(() => loadManifest(`${HOSTILE}/${name}`, limits));
    const cpu = await cpuDuring(1000);
    console.log(
      `child process, ${name} (${
        "timeoutMs" in limits ? "1 s limit" : "512 MiB limit"
      }): refused after ${ms.toFixed(0)} ms; CPU in the next 1 s: ${cpu.toFixed(0)} ms`,
    );
  }

  const loop = await time(() => workerEval(`${HOSTILE}/loop_forever.ts`, 1000));
  const spin = await cpuDuring(1000);
  console.log(
    `Worker, loop_forever.ts (1 s limit): gave up after ${
      loop.toFixed(0)
    } ms; CPU in the next 1 s: ${spin.toFixed(0)} ms (the thread keeps spinning)`,
  );

  const bomb = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      "--v8-flags=--max-old-space-size=256",
      new URL(import.meta.url).pathname,
      "--worker-bomb",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const last = new TextDecoder().decode(bomb.stderr).trim().split("\n").filter(Boolean).slice(-1);
  console.log(
    `Worker, heap_bomb.ts (process heap capped at 256 MiB): the whole process ended, exit ${bomb.code} signal ${bomb.signal}: ${last}`,
  );
  // The Worker stuck in loop_forever.ts still spins and would keep this process alive.
  Deno.exit(0);
}

if (Deno.args.includes("--worker-bomb")) {
  await workerEval(`${HOSTILE}/heap_bomb.ts`, 20_000);
  console.log("the Worker returned");
}
