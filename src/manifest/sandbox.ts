/**
 * Evaluates a manifest in a child `deno` process with read access to the
 * manifest's folder and netform's sources and no other permission, under a
 * wall-clock limit and a memory limit.
 *
 * Why a process and not a Worker: a Worker cannot be given a memory limit
 * (an allocation bomb takes the whole process down), and a Worker stuck in a
 * loop keeps its thread spinning after `terminate()`. A process is killed
 * with SIGKILL, its heap is capped with V8's `--max-old-space-size`, and its
 * resident memory (heap, ArrayBuffers, threads) is watched by a thread of its
 * own (`_memory_watch.ts`) that tells this side when to kill it.
 *
 * Each path is passed as a flag of its own, and none may hold a comma: Deno
 * (2.9.6) splits every `--allow-read=`/`--deny-read=` value on commas, with
 * no way to escape one, so `--allow-read=/m,..` would also allow `..`. The
 * caller refuses such paths with a message for the user
 * (`permission_paths.ts`); this module refuses them again rather than pass
 * them.
 *
 * WebAssembly is switched off for the whole child by V8 flags: `--jitless`
 * leaves the `WebAssembly` object out of every realm (the main one,
 * `node:vm` contexts, workers), so nothing can instantiate a module, and
 * `--wasm-max-module-size=0` (V8 clamps it to 16 bytes, too small for a
 * function) makes compiling any module with code fail, which covers what
 * `--jitless` leaves: `import source` of a `.wasm` file, which Deno compiles
 * on its own.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { type MalformedAnswer, parseAnswer } from "./sandbox_answer.ts";
import type { SandboxReply } from "./sandbox_reply.ts";

/** Limits of one evaluation. */
export interface SandboxLimits {
  /** Wall-clock limit in milliseconds. */
  timeoutMs: number;
  /** Resident memory limit of the evaluating process, in MiB. */
  memoryMb: number;
  /** Largest answer read back, in bytes. */
  maxOutputBytes: number;
}

/** What became of an evaluation. */
export type SandboxOutcome =
  | SandboxReply
  | MalformedAnswer
  | { kind: "timeout" }
  | { kind: "memory" }
  | { kind: "output" }
  /** The process ended without answering: `stderr` holds its last words. */
  | { kind: "exited"; code: number; signal: Deno.Signal | null; stderr: string };

/** Options of {@linkcode evaluateInSandbox}. */
export interface SandboxOptions {
  /** Folders and files the manifest may read. */
  allowRead: readonly string[];
  /** Paths inside them it may not read (symbolic links that lead out). */
  denyRead: readonly string[];
  /**
   * The child's entry module. Default: `_child.ts`. Tests pass a stand-in to
   * see what this side makes of answers the real evaluator never gives.
   */
  entry?: string;
}

/** V8 flags of the child besides the heap limit (see the module documentation). */
export const CHILD_V8_FLAGS = ["--jitless", "--wasm-max-module-size=0"] as const;

const CHILD_ENTRY = fileURLToPath(new URL("./_child.ts", import.meta.url));
const STDERR_KEEP = 16 * 1024;

/**
 * Runs `manifest` (an absolute path) in the sandbox. Resolves once the child
 * has exited, whatever happened: no process or thread is left behind.
 */
export async function evaluateInSandbox(
  manifest: string,
  limits: SandboxLimits,
  options: SandboxOptions,
): Promise<SandboxOutcome> {
  const nonce = crypto.randomUUID();
  // V8's heap limit is only a backstop: set to the whole limit, it is never reached before
  // the resident memory passes the limit, which the memory watch catches at once. Set lower,
  // a heap bomb makes V8 collect garbage ever harder near its limit, for seconds, before it
  // gives up.
  const heapMb = limits.memoryMb;
  const args = [
    "run",
    "--quiet",
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-npm",
    `--v8-flags=${[`--max-old-space-size=${heapMb}`, ...CHILD_V8_FLAGS].join(",")}`,
    ...options.allowRead.map((path) => `--allow-read=${expressible(path)}`),
    ...options.denyRead.map((path) => `--deny-read=${expressible(path)}`),
    options.entry ?? CHILD_ENTRY,
    pathToFileURL(manifest).href,
    String(limits.memoryMb * 1024 * 1024),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();

  let stopped: "timeout" | "memory" | "output" | undefined;
  const stop = (why: "timeout" | "memory" | "output"): void => {
    stopped ??= why;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => stop("timeout"), limits.timeoutMs);
  const exited = child.status.finally(() => clearTimeout(timer));

  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(nonce + "\n")).catch(() => {});
  await writer.close().catch(() => {});

  const [stdout, stderr, status] = await Promise.all([
    readAnswer(child.stdout, {
      max: limits.maxOutputBytes,
      onOverflow: () => stop("output"),
      marker: `${nonce} {"kind":"memory"}`,
      onMarker: () => stop("memory"),
    }),
    readTail(child.stderr, STDERR_KEEP),
    exited,
  ]);
  if (stopped) return { kind: stopped };
  const reply = parseAnswer(stdout, nonce);
  if (reply) return reply;
  if (/out of memory|heap limit/i.test(stderr)) return { kind: "memory" };
  return { kind: "exited", code: status.code, signal: status.signal, stderr };
}

/**
 * Reads the child's stdout to its end, up to `max` bytes (past that it calls
 * `onOverflow` and stops reading), and calls `onMarker` as soon as `marker`
 * appears, which may be mid-stream.
 */
async function readAnswer(
  stream: ReadableStream<Uint8Array>,
  options: { max: number; onOverflow: () => void; marker: string; onMarker: () => void },
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let size = 0;
  let recent = "";
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      recent = recent.slice(-options.marker.length) + decoder.decode(value, { stream: true });
      if (recent.includes(options.marker)) options.onMarker();
      size += value.length;
      if (size > options.max) {
        options.onOverflow();
        await reader.cancel().catch(() => {});
        return new Uint8Array();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Reads a stream to its end and keeps the last `keep` bytes, as text. */
async function readTail(stream: ReadableStream<Uint8Array>, keep: number): Promise<string> {
  let tail = new Uint8Array();
  for await (const chunk of stream) {
    const joined = new Uint8Array(tail.length + chunk.length);
    joined.set(tail);
    joined.set(chunk, tail.length);
    tail = joined.length > keep ? joined.slice(joined.length - keep) : joined;
  }
  return new TextDecoder().decode(tail);
}

/** `path`, if Deno's permission flags can carry it unchanged. */
function expressible(path: string): string {
  if (path.includes(",")) {
    throw new Error(
      `Cannot pass "${path}" to the sandbox: Deno splits permission paths on commas`,
    );
  }
  return path;
}
