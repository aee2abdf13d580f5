/**
 * Building the errors the simulated kernel raises.
 *
 * @module
 */
import { KernelError, type KernelErrorCode } from "../../errors.ts";

/** Errno names the simulator raises. */
export type SimErrno = KernelErrorCode;

/** A `KernelError` for `code`, with the kernel's extack message when it has one. */
export function kernelError(code: SimErrno, action: string, kernelMessage?: string): KernelError {
  return new KernelError(code, action, kernelMessage);
}
