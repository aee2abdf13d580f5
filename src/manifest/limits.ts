/**
 * The limits a manifest is evaluated under, with their defaults and their
 * environment variables (`NETFORM_MANIFEST_TIMEOUT` in seconds,
 * `NETFORM_MANIFEST_MEMORY` in MiB).
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/** Limits of one manifest evaluation. */
export interface ManifestLimits {
  /** Wall-clock time from start to answer, in milliseconds. Default: 10 000. */
  timeoutMs: number;
  /** Resident memory of the evaluating process, in MiB. Default: 512. */
  memoryMb: number;
  /** Size of the manifest's answer (its default export as JSON), in bytes. Default: 16 MiB. */
  maxOutputBytes: number;
  /** Size of the manifest file itself, in bytes. Default: 4 MiB. */
  maxFileBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ManifestLimits> = {
  timeoutMs: 10_000,
  memoryMb: 512,
  maxOutputBytes: 16 * 1024 * 1024,
  maxFileBytes: 4 * 1024 * 1024,
};

/** Below this the `deno` process evaluating the manifest cannot start (it needs about 35 MiB). */
export const MIN_MEMORY_MB = 64;
/** Longest timeout accepted, in seconds: one hour. */
export const MAX_TIMEOUT_S = 3600;

/**
 * Parses a timeout in seconds (`"10"`, `"2.5"`) as given by `source` (a flag
 * or variable name, for the message) and returns milliseconds.
 *
 * @example
 * ```ts
 * import { parseTimeout } from "./limits.ts";
 * parseTimeout("2.5", "--manifest-timeout"); // 2500
 * ```
 */
export function parseTimeout(text: string, source: string): number {
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIMEOUT_S) {
    throw new UsageError(
      `Invalid ${source} "${text}": give the manifest's time limit in seconds, more than 0 and at most ${MAX_TIMEOUT_S}, such as 10`,
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * Parses a memory limit in MiB as given by `source` (for the message).
 *
 * @example
 * ```ts
 * import { parseMemory } from "./limits.ts";
 * parseMemory("256", "--manifest-memory"); // 256
 * ```
 */
export function parseMemory(text: string, source: string): number {
  const mb = Number(text);
  if (!/^\d+$/.test(text.trim()) || mb < MIN_MEMORY_MB || mb > 1024 * 1024) {
    throw new UsageError(
      `Invalid ${source} "${text}": give the manifest's memory limit as a whole number of MiB, at least ${MIN_MEMORY_MB}, such as 512`,
    );
  }
  return mb;
}

/**
 * The limits set by `NETFORM_MANIFEST_TIMEOUT` and `NETFORM_MANIFEST_MEMORY`;
 * empty when they are unset or netform may not read the environment.
 */
export function limitsFromEnv(): Partial<ManifestLimits> {
  const read = (name: string): string | undefined => {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  };
  const out: Partial<ManifestLimits> = {};
  const timeout = read("NETFORM_MANIFEST_TIMEOUT");
  if (timeout !== undefined) out.timeoutMs = parseTimeout(timeout, "NETFORM_MANIFEST_TIMEOUT");
  const memory = read("NETFORM_MANIFEST_MEMORY");
  if (memory !== undefined) out.memoryMb = parseMemory(memory, "NETFORM_MANIFEST_MEMORY");
  return out;
}
