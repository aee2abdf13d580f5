/**
 * Everything that changes a host runs inside a session: the host's lock held,
 * what a killed netform left behind finished first (see `intent.ts`), and any
 * confirm-or-revert window dealt with (see `pending_revert.ts`).
 *
 * @module
 */
import { recoverInterrupted } from "../apply/intent.ts";
import { HostLock } from "../apply/lock.ts";
import {
  describeRevert,
  interruptedRevert,
  readPendingRevert,
  revertPending,
} from "../apply/pending_revert.ts";
import type { Driver } from "../drivers/driver.ts";
import { UsageError } from "../errors.ts";
import type { Output } from "./output.ts";

export interface SessionOptions {
  /** How long to wait for another netform's lock, in ms. */
  lockTimeoutMs: number;
  /** Recorded in the lock file: `apply`, `destroy`, … */
  command: string;
  /** Act on an expired pending revert, but refuse to start while one is waiting. Default true. */
  refuseWhilePending?: boolean;
}

/** Runs `fn` with the host locked (when the driver has run files; an in-memory simulator has none). */
export async function withHostSession<T>(
  out: Output,
  driver: Driver,
  options: SessionOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const files = driver.runFiles;
  if (files === undefined) return await fn();
  const lock = await HostLock.acquire(files.lock, {
    timeoutMs: options.lockTimeoutMs,
    command: options.command,
    what: files.what,
    onWait: (holder) =>
      out.line(`Waiting for the lock on ${files.what}, held by another netform (${holder})…`),
  });
  try {
    await driver.reload?.();
    for (const line of await recoverInterrupted(files.intent, driver)) out.line(line);
    const interrupted = await interruptedRevert(files.pendingRevert);
    if (interrupted) {
      out.line(
        `Warning: a revert of topology "${interrupted.topology}" (pid ${interrupted.pid}) was ` +
          `interrupted before it finished; the plan below shows where the host stands.`,
      );
    }
    const pending = await readPendingRevert(files.pendingRevert);
    if (pending) {
      if (Date.parse(pending.deadline) <= Date.now()) {
        const outcome = await revertPending(files.pendingRevert, driver, files.intent);
        if (outcome) out.line(describeRevert(outcome));
      } else if (options.refuseWhilePending ?? true) {
        throw new UsageError(
          `Cannot ${options.command}: the apply of topology "${pending.topology}" (pid ` +
            `${pending.pid}) on ${files.what} is waiting for confirmation until ` +
            `${pending.deadline}; run \`netform confirm\` to keep it, or wait for it to be reverted`,
        );
      }
    }
    return await fn();
  } finally {
    lock.release();
  }
}
