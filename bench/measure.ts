/**
 * Timing helpers for the benchmark: wall-clock spans, medians, `ip` processes and polling.
 *
 * @module
 */

/** Milliseconds spent in `fn`. */
export async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("The median of nothing");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs a program; throws with its stderr when it fails (unless `allow` lists the exit code). */
export async function run(
  program: string,
  args: readonly string[],
  options: { stdin?: string; allow?: readonly number[]; cwd?: string } = {},
): Promise<{ code: number; stdout: string }> {
  const child = new Deno.Command(program, {
    args: [...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (out.code !== 0 && !(options.allow ?? []).includes(out.code)) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(`${program} ${args.join(" ")} exited ${out.code}: ${err.slice(0, 2000)}`);
  }
  return { code: out.code, stdout };
}

/** `ip [-n namespace] args…`. */
export function ip(namespace: string | null, args: readonly string[]) {
  return run("ip", namespace === null ? args : ["-n", namespace, ...args]);
}

/** Named namespaces (as `ip netns list` shows them) whose names start with `prefix`. */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"]);
  return stdout.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) => n.startsWith(prefix));
}

/** Waits until `done()` holds, checking every `everyMs` (at most `limitMs`). */
export async function until(
  done: () => Promise<boolean>,
  what: string,
  { everyMs = 2, limitMs = 60_000 } = {},
): Promise<void> {
  const start = performance.now();
  while (!(await done())) {
    if (performance.now() - start > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Removes every namespace starting with `prefix` (one `ip -batch` process). */
export async function removeNamespaces(prefix: string): Promise<void> {
  const names = await namespacesWithPrefix(prefix);
  if (names.length === 0) return;
  await run("ip", ["-force", "-batch", "-"], {
    stdin: names.map((n) => `netns del ${n}\n`).join(""),
    allow: [1],
  });
}

/** Lets the kernel finish tearing down deleted namespaces before the next measurement. */
export function settle(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
