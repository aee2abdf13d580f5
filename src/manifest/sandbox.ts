/**
 * Evaluates a manifest in a child `deno` process with read access to the
 * manifest's folder and netform's sources and no other permission, under a
 * wall-clock limit and a memory limit.
 *
 * Why a process and not a Worker: a Worker cannot be given a memory limit
 * (an allocation bomb takes the whole process down), and a Worker stuck in a
 * loop keeps its thread spinning after `terminate()`. A process is killed
 * with SIGKILL, its heap is capped with V8's `--max-old-space-size`, and its
 * resident memory (heap, ArrayBuffers, threads) is watched from here.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
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
}

const CHILD_ENTRY = fileURLToPath(new URL("./_child.ts", import.meta.url));
/** V8's heap gets the memory limit minus this, so a heap bomb meets V8's own limit first. */
const NON_HEAP_MB = 64;
const STDERR_KEEP = 16 * 1024;
const WATCH_INTERVAL_MS = 10;

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
  const heapMb = Math.max(16, limits.memoryMb - NON_HEAP_MB);
  const args = [
    "run",
    "--quiet",
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-npm",
    `--v8-flags=--max-old-space-size=${heapMb}`,
    `--allow-read=${options.allowRead.join(",")}`,
    ...(options.denyRead.length > 0 ? [`--deny-read=${options.denyRead.join(",")}`] : []),
    CHILD_ENTRY,
    pathToFileURL(manifest).href,
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
  const watching = watchMemory(child.pid, limits.memoryMb, exited, () => stop("memory"));

  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(nonce + "\n")).catch(() => {});
  await writer.close().catch(() => {});

  const [stdout, stderr, status] = await Promise.all([
    readCapped(child.stdout, limits.maxOutputBytes, () => stop("output")),
    readTail(child.stderr, STDERR_KEEP),
    exited,
    watching,
  ]);
  if (stopped) return { kind: stopped };
  const reply = findReply(stdout, nonce);
  if (reply) return reply;
  if (/out of memory|heap limit/i.test(stderr)) return { kind: "memory" };
  return { kind: "exited", code: status.code, signal: status.signal, stderr };
}

/** Polls the child's resident set size until it exits; calls `over` once past the limit. */
async function watchMemory(
  pid: number,
  limitMb: number,
  exited: Promise<unknown>,
  over: () => void,
): Promise<void> {
  let done = false;
  exited.then(() => (done = true), () => (done = true));
  const limitKb = limitMb * 1024;
  while (!done) {
    const rssKb = await residentKb(pid);
    if (rssKb !== undefined && rssKb > limitKb) return over();
    await new Promise((wake) => setTimeout(wake, WATCH_INTERVAL_MS));
  }
}

async function residentKb(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // exited (or not yet started)
  }
}

/** Reads a stream to its end, up to `max` bytes; calls `over` and stops reading past that. */
async function readCapped(
  stream: ReadableStream<Uint8Array>,
  max: number,
  over: () => void,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        over();
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

function findReply(stdout: Uint8Array, nonce: string): SandboxReply | undefined {
  const prefix = nonce + " ";
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    if (!line.startsWith(prefix)) continue;
    try {
      const reply = JSON.parse(line.slice(prefix.length)) as SandboxReply;
      if (reply.kind === "value" || reply.kind === "issues" || reply.kind === "error") return reply;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
