/**
 * Errno numbers to the error classes netform reports. Pure TypeScript, no FFI.
 *
 * @module
 */

import { ERRNO, KernelError, type KernelErrorCode, NetformError } from "../src/errors.ts";

const BY_NUMBER: ReadonlyMap<number, KernelErrorCode> = new Map(
  (Object.entries(ERRNO) as [KernelErrorCode, number][]).map(([code, n]) => [n, code]),
);

/** The `KernelErrorCode` name of a (positive) errno number, or `undefined` when netform has none. */
export function errnoCode(errno: number): KernelErrorCode | undefined {
  return BY_NUMBER.get(Math.abs(errno));
}

/** A system call or kernel reply failed with an errno that has no `KernelErrorCode` name. */
export class SystemCallError extends NetformError {
  override name = "SystemCallError";
  constructor(
    readonly errno: number,
    readonly action: string,
    readonly kernelMessage?: string,
    options?: ErrorOptions,
  ) {
    super(`${action}: ${kernelMessage ?? "system error"} (errno ${errno})`, options);
  }
}

/** A libnl call failed on its own (no kernel errno behind it), e.g. out of memory or a bad reply. */
export class LibnlError extends NetformError {
  override name = "LibnlError";
  constructor(readonly nlerror: number, readonly action: string, description: string) {
    super(`${action}: ${description} (libnl error ${nlerror})`);
  }
}

/** The error for a failed call: a `KernelError` when the errno has a name, else a `SystemCallError`. */
export function errnoError(
  errno: number,
  action: string,
  kernelMessage?: string,
): KernelError | SystemCallError {
  const code = errnoCode(errno);
  return code === undefined
    ? new SystemCallError(Math.abs(errno), action, kernelMessage)
    : new KernelError(code, action, kernelMessage);
}
