/**
 * Confirm or revert (`apply --confirm-within 60s`): after the apply, the
 * change stays only if someone confirms it in time; otherwise it is undone.
 * A change that cuts the operator off therefore heals itself, like
 * `netplan try` and nmstate's checkpoints.
 *
 * The record of what to undo lives in a file (`RunFiles.pendingRevert`), not
 * in the memory of the apply that waits, because the process most likely to
 * die in that window is exactly that one: its SSH session is what the change
 * cut. A detached reverter (its own session, so the terminal's SIGHUP does not
 * reach it) sleeps until the deadline and reverts unless the record is gone;
 * the waiting apply does the same if it is still alive, and any later netform
 * that takes the lock acts on a record past its deadline (after a reboot of a
 * sim host, say).
 *
 * Exactly one of "confirm" and "revert" wins, with no lock needed by
 * `netform confirm` (the apply holds it while it waits): each side claims the
 * record by renaming it, and rename is atomic — the loser finds it gone.
 *
 * @module
 */
import { z } from "zod";
import type { Driver } from "../drivers/driver.ts";
import { UsageError } from "../errors.ts";
import { OperationSchema } from "../plan/codec.ts";
import type { Operation } from "../model/operations.ts";
import { runOperations } from "./apply.ts";
import { describeOperation } from "./describe.ts";
import { kernelFromHostState } from "../drivers/sim/from_state.ts";
import { observeState } from "../drivers/sim/observe.ts";
import type { HostState, Topology } from "../model/state.ts";
import { isForeign } from "../plan/ownership.ts";
import { stateEntries } from "../plan/state_objects.ts";
import { intentFile } from "./intent.ts";
import { sweepStaleTemporaries, writeDurably } from "../durable_file.ts";
import { readJsonFile } from "../read_json_file.ts";
import { formatJsonPath } from "../strict_json.ts";
import { describeDifferences, diffDigests, isSame, objectDigests } from "./objects.ts";
import { scopedState, type ScopeSpec } from "./scope.ts";

const RecordSchema = z.strictObject({
  formatVersion: z.literal(1),
  pid: z.number().int(),
  topology: z.string(),
  created: z.string(),
  deadline: z.string(),
  undo: z.array(OperationSchema),
  scope: z.strictObject({
    topology: z.string(),
    namespaces: z.array(z.string()),
    rootLinks: z.array(z.string()),
    rootRoutes: z.array(z.string()),
  }),
  /** Digests of the scoped state before the apply: what a revert must give back. */
  before: z.record(z.string(), z.string()),
});
export type PendingRevert = z.infer<typeof RecordSchema>;

export function newPendingRevert(
  topology: string,
  undo: Operation[],
  scope: ScopeSpec,
  before: Record<string, string>,
  withinMs: number,
): PendingRevert {
  const now = Date.now();
  return {
    formatVersion: 1,
    pid: Deno.pid,
    topology,
    created: new Date(now).toISOString(),
    deadline: new Date(now + withinMs).toISOString(),
    undo,
    scope,
    before,
  };
}

export async function writePendingRevert(path: string, record: PendingRevert): Promise<void> {
  await writeDurably(path, JSON.stringify(record, null, 2) + "\n", {
    what: "the pending revert",
  });
}

/** Largest record read: far above a real one (its undo of a 10 000-link apply is a few MiB). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** The record at `path`; `shown` is the name messages give it (its name before a claim). */
async function readRecord(path: string, shown = path): Promise<PendingRevert | undefined> {
  const fail = (detail: string): never => {
    throw new UsageError(
      `Cannot read the pending revert "${shown}": ${detail}; netform writes it while an apply ` +
        `waits for confirmation: if none is waiting, remove it and run again`,
    );
  };
  const read = await readJsonFile(path, MAX_RECORD_BYTES);
  if (read.kind === "missing") return undefined;
  if (read.kind === "refused") return fail(read.detail);
  const parsed = RecordSchema.safeParse(read.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(`${formatJsonPath(issue.path)}: ${issue.message}`);
  }
  return parsed.data;
}

/** The record, if an apply is waiting for confirmation (or its reverter is). */
export function readPendingRevert(path: string): Promise<PendingRevert | undefined> {
  return readRecord(path);
}

/** Claims the record by renaming it to `suffix`; undefined when someone else claimed it first. */
async function claim(path: string, suffix: string): Promise<PendingRevert | undefined> {
  const claimed = `${path}.${suffix}`;
  try {
    await Deno.rename(path, claimed);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  let record: PendingRevert | undefined;
  try {
    record = await readRecord(claimed, path);
  } catch (e) {
    // Unreadable: put it back as it was, for whoever reads the error.
    await Deno.rename(claimed, path).catch(() => {});
    throw e;
  }
  if (suffix === "confirmed") await Deno.remove(claimed).catch(() => {});
  return record;
}

/**
 * `netform confirm`: keeps the change. Throws when nothing is waiting (never
 * applied with --confirm-within, already confirmed, or already reverted).
 */
export async function confirmPending(path: string, what: string): Promise<PendingRevert> {
  const record = await claim(path, "confirmed");
  if (record === undefined) {
    throw new UsageError(
      `Cannot confirm: no apply on ${what} is waiting for confirmation (it was confirmed or ` +
        `reverted already, or was not run with --confirm-within)`,
    );
  }
  return record;
}

export interface RevertOutcome {
  record: PendingRevert;
  ran: string[];
  error?: string;
  /** The scoped state is back to the digests recorded before the apply. */
  restored: boolean;
  /** What still differs, when not restored. */
  left: string;
}

/**
 * Claims the record and undoes the apply. Undefined when it was confirmed
 * (or reverted by someone else) first. Call with the lock held.
 */
export async function revertPending(
  path: string,
  driver: Driver,
  intentPath?: string,
): Promise<RevertOutcome | undefined> {
  const record = await claim(path, "reverting");
  if (record === undefined) return undefined;
  const check = checkRevert(record, await driver.observe());
  if (!check.ok) {
    // Put back, so the operator can read it; nothing was run.
    await Deno.rename(`${path}.reverting`, path).catch(() => {});
    throw new UsageError(
      `Cannot revert the apply of topology "${record.topology}" from the pending revert ` +
        `"${path}": ${check.why}; nothing was changed. Check the host, then remove the record`,
    );
  }
  // The undo may create links again: recorded first, like an apply's steps (see intent.ts).
  const intent = intentPath ? intentFile(intentPath, record.topology) : undefined;
  await intent?.begin(check.operations);
  const result = await runOperations(check.operations, driver);
  await intent?.end();
  const now = objectDigests(scopedState(await driver.observe(), record.scope));
  const left = diffDigests(record.before, now);
  await Deno.remove(`${path}.reverting`).catch(() => {});
  return {
    record,
    ran: result.ran,
    ...(result.error !== undefined
      ? { error: result.error }
      : check.stoppedAt !== undefined
      ? { error: `the host changed since the apply: ${check.stoppedAt}` }
      : {}),
    restored: isSame(left),
    left: describeDifferences(left, 50),
  };
}

/** What of a record's undo may run, checked on the model of the host before anything runs. */
export type RevertCheck =
  | { ok: true; operations: Operation[]; stoppedAt?: string }
  | { ok: false; why: string };

/**
 * A record is a file, and its operations are checked like a saved plan's, on the model of the
 * host as it is: they may not change anything outside the topology's scope, nor anything in it
 * that the apply left alone (same digest now as recorded before it), nor a foreign object that
 * appeared since. Where the model refuses an operation (the host changed since the apply), only
 * the operations before it run, as the real host would stop there too.
 */
export function checkRevert(record: PendingRevert, observed: HostState): RevertCheck {
  const kernel = kernelFromHostState(observed);
  const start = observeState(kernel.view);
  let ran = record.undo.length;
  let stoppedAt: string | undefined;
  for (const [i, op] of record.undo.entries()) {
    try {
      kernel.execute(op);
    } catch (e) {
      ran = i;
      stoppedAt = `${describeOperation(op)}: ${(e as Error).message}`;
      break;
    }
  }
  const end = observeState(kernel.view);
  const [was, now] = [objectDigests(start), objectDigests(end)];
  const inside = objectDigests(scopedState(start, record.scope));
  const owned = new Set(
    [...stateEntries(start)].filter(([, o]) => !isForeign(start, o, emptyTopology(record.topology)))
      .map(([key]) => key),
  );
  const untouchable = Object.keys(was).filter((key) =>
    !(key in inside) || record.before[key] === was[key] ||
    (!(key in record.before) && !owned.has(key))
  );
  const touched = untouchable.filter((key) => now[key] !== was[key]).sort();
  if (touched.length > 0) {
    return {
      ok: false,
      why:
        `its operations would change what the apply did not: ${touched.slice(0, 12).join(", ")}` +
        (touched.length > 12 ? `, and ${touched.length - 12} more` : ""),
    };
  }
  return {
    ok: true,
    operations: record.undo.slice(0, ran),
    ...(stoppedAt !== undefined ? { stoppedAt } : {}),
  };
}

/** A topology that declares nothing, so that only what it owns is not foreign. */
function emptyTopology(name: string): Topology {
  return { name, namespaces: {} };
}

/** One paragraph about a revert, for people. */
export function describeRevert(outcome: RevertOutcome): string {
  const r = outcome.record;
  const head = `Reverted the apply of topology "${r.topology}" (pid ${r.pid}, ${r.created}): ` +
    `it was not confirmed by ${r.deadline}.`;
  const ran = ` Undone with ${outcome.ran.length} operation(s)` +
    (outcome.error ? `, then stopped: ${outcome.error}.` : ".");
  const result = outcome.restored
    ? " The host is as it was before the apply (checked by observing it again)."
    : ` The host still differs from before the apply: ${outcome.left}.`;
  return head + ran + result;
}

/**
 * A revert claimed but not finished (its process died in it), if any; removed
 * once reported. Called with the lock held, so it also removes the record's
 * temporary files that killed writers left (see `durable_file.ts`).
 */
export async function interruptedRevert(path: string): Promise<PendingRevert | undefined> {
  await sweepStaleTemporaries(path);
  const leftover = `${path}.reverting`;
  let record: PendingRevert | undefined;
  try {
    record = await readRecord(leftover);
  } catch {
    record = undefined;
  }
  await Deno.remove(leftover).catch(() => {});
  return record;
}
