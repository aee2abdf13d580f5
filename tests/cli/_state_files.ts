/**
 * Shared by the state-file tests: netform as a subprocess (optionally wrapped
 * in `unshare`, `setpriv`, …) with a time limit, the exact-refusal assertion,
 * and a state file with something on it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Killed at the time limit: the command hung. */
  timedOut: boolean;
}

export interface RunOptions {
  /** A command line to run netform under, e.g. `["setpriv", "--inh-caps=-all", …]`. */
  wrap?: string[];
  env?: Record<string, string>;
  /** Default 60 s: a command that hangs (say, on a FIFO) is killed and reported. */
  timeoutMs?: number;
}

/** `deno run -A mod.ts ARGS` from the repository root, stdin closed. */
export async function netform(args: string[], options: RunOptions = {}): Promise<Run> {
  const deno = [Deno.execPath(), "run", "-A", "--unstable-worker-options", "mod.ts", ...args];
  const [command, ...rest] = [...(options.wrap ?? []), ...deno];
  const child = new Deno.Command(command!, {
    args: rest,
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 60_000);
  const output = await child.output();
  clearTimeout(timer);
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
    timedOut,
  };
}

/**
 * Exit 1, in time, with exactly one error line and that line `Error: MESSAGE`;
 * no stack trace, no "unexpected failure".
 */
export function assertRefused(run: Run, message: string, what = "the command"): void {
  const shown = `\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  assert.equal(run.timedOut, false, `${what} hung${shown}`);
  assert.equal(run.code, 1, `${what}: expected exit 1, got ${run.code}${shown}`);
  const errors = run.stderr.split("\n").filter((line) => line.startsWith("Error"));
  assert.deepEqual(errors, [`Error: ${message}`], `${what}${shown}`);
  assert.doesNotMatch(run.stderr, /unexpected failure|^\s+at /m, `${what}: a stack trace${shown}`);
}

/** Exit 0, in time. */
export function assertOk(run: Run, what: string): void {
  const shown = `\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  assert.equal(run.timedOut, false, `${what} hung${shown}`);
  assert.equal(run.code, 0, `${what}: expected exit 0, got ${run.code}${shown}`);
}

/** A temporary directory, removed afterwards (also when the test fails). */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "netform_state_files_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes, at `state`, a simulated host with the veth_router example applied. */
export async function stateWithSomething(state: string): Promise<Uint8Array> {
  assertOk(
    await netform([
      "apply",
      "examples/veth_router.ts",
      "--driver",
      "sim",
      "--state",
      state,
      "--state-init",
      "--auto-approve",
    ]),
    "setting up the state file",
  );
  return await Deno.readFile(state);
}

/** Names in `dir`, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/**
 * `value` as JSON text in which the object at `path` has `key` twice, both
 * with the value it has: `JSON.parse` reads exactly the same value back, so
 * only a duplicate check can tell. `spelling` is how the second is written.
 */
export function withDuplicateKey(
  value: unknown,
  path: (string | number)[],
  key: string,
  spelling = JSON.stringify(key),
): string {
  let target: unknown = value;
  for (const segment of path) target = (target as Record<string | number, unknown>)[segment];
  assert.ok(target !== null && typeof target === "object" && key in target, `no ${key} there`);
  const sentinel = "\u0000duplicate";
  const text = JSON.stringify(
    value,
    (_k, v) => (v === target ? { ...v, [sentinel]: null } : v),
    2,
  );
  const copy = JSON.stringify((target as Record<string, unknown>)[key]);
  const out = text.replace(`"\\u0000duplicate": null`, `${spelling}: ${copy}`);
  assert.notEqual(out, text);
  assert.deepEqual(JSON.parse(out), value, "the duplicate changes nothing for JSON.parse");
  return out;
}
