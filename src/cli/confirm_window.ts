/**
 * `apply --confirm-within DURATION`: the wait after the apply. Confirmed by
 * `netform confirm` from another shell (which proves a new login still works)
 * or by pressing Enter here when on a terminal; otherwise reverted at the
 * deadline. A detached reverter is started first, so the revert happens even
 * when this process dies in the window (its SSH session cut by the change).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { ApplyReport } from "../apply/apply.ts";
import { objectDigests } from "../apply/objects.ts";
import {
  confirmPending,
  describeRevert,
  newPendingRevert,
  revertPending,
  writePendingRevert,
} from "../apply/pending_revert.ts";
import { scopedState, type ScopeSpec } from "../apply/scope.ts";
import type { Driver } from "../drivers/driver.ts";
import { UsageError } from "../errors.ts";
import type { HostState } from "../model/state.ts";
import type { Output } from "./output.ts";

const MOD_PATH = fileURLToPath(new URL("../../mod.ts", import.meta.url));
const POLL_MS = 100;

export interface ConfirmWindow {
  withinMs: number;
  /** Arguments that reopen the same driver (`--driver sim --state x.json`). */
  driverArgs: string[];
  topology: string;
  observed: HostState;
  scope: ScopeSpec;
}

/** Waits for confirmation; reverts at the deadline. Exit code 0 when kept, 1 when reverted. */
export async function awaitConfirmation(
  out: Output,
  driver: Driver,
  report: ApplyReport,
  window: ConfirmWindow,
): Promise<0 | 1> {
  const files = driver.runFiles;
  if (files === undefined) {
    throw new UsageError(
      "Cannot use --confirm-within with a simulator kept in memory: pass --state FILE",
    );
  }
  const record = newPendingRevert(
    window.topology,
    report.undo,
    window.scope,
    objectDigests(scopedState(window.observed, window.scope)),
    window.withinMs,
  );
  await writePendingRevert(files.pendingRevert, record);
  const reverter = startReverter(window.driverArgs);
  const confirmCommand = ["netform", "confirm", ...window.driverArgs].join(" ");
  out.line(
    `\nWaiting until ${record.deadline} for confirmation: run \`${confirmCommand}\` from ` +
      `another shell${
        Deno.stdin.isTerminal() ? ", or press Enter here" : ""
      }. Unconfirmed, the change is reverted then, even if this process dies (reverter pid ${reverter}).`,
  );

  const deadline = Date.parse(record.deadline);
  const enter = Deno.stdin.isTerminal() ? waitForEnter() : undefined;
  let pressed = false;
  enter?.then(() => (pressed = true));
  while (Date.now() < deadline) {
    if (pressed) {
      await confirmPending(files.pendingRevert, files.what).catch(() => {});
      out.line("Confirmed: the change is kept.");
      return 0;
    }
    if (!(await exists(files.pendingRevert))) {
      out.line("Confirmed (by `netform confirm`): the change is kept.");
      return 0;
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
  }
  const outcome = await revertPending(files.pendingRevert, driver, files.intent);
  if (outcome === undefined) {
    out.line("Confirmed (by `netform confirm`) just before the deadline: the change is kept.");
    return 0;
  }
  out.line(describeRevert(outcome));
  return 1;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function waitForEnter(): Promise<void> {
  const buf = new Uint8Array(64);
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) return new Promise(() => {}); // stdin closed: only `netform confirm` can confirm
    if (buf.subarray(0, n).includes(10)) return;
  }
}

/**
 * `netform revert-pending …` in a session of its own (Deno's `detached` calls
 * setsid), with no terminal and no stdio, not waited for: a hangup of this
 * terminal or a SIGKILL of this process does not reach it.
 */
function startReverter(driverArgs: string[]): number {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", MOD_PATH, "revert-pending", ...driverArgs],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  return child.pid;
}
