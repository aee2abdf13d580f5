/**
 * One apply at a time per host (per state file for the simulator): an
 * exclusive `flock` on a lock file. The kernel releases a flock when its
 * holder dies, however it dies (SIGKILL included), so a crashed netform never
 * leaves the host locked, and there is no stale-lock guessing.
 *
 * The holder writes its pid, command and start time into the file, so a
 * second netform can say who holds it. The file itself is never removed:
 * removing it would let two processes hold locks on two different files.
 *
 * @module
 */
import { dirname } from "node:path";
import { describeWriteFailure } from "../durable_file.ts";
import { LockError, UsageError } from "../errors.ts";
import { kindOf } from "../read_regular_file.ts";

export interface LockOptions {
  /** How long to wait for the holder, in milliseconds. Default: 0 (fail at once). */
  timeoutMs?: number;
  /** Recorded in the file for whoever waits (e.g. `apply`). */
  command?: string;
  /** What is locked, for messages (`the host`, `the state file "x.json"`). */
  what?: string;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (holder: string) => void;
}

/** How often a waiter tries again. */
const POLL_MS = 50;

/** A held lock; `release()` (or process death) frees it. */
export class HostLock {
  #file: Deno.FsFile | undefined;

  private constructor(file: Deno.FsFile, readonly path: string) {
    this.#file = file;
  }

  /**
   * Takes the lock at `path`, waiting up to `timeoutMs` for another holder.
   *
   * @throws {LockError} naming the holder's pid when it is still held after the timeout.
   */
  static async acquire(path: string, options: LockOptions = {}): Promise<HostLock> {
    const file = await openLockFile(path, options.what);
    const deadline = Date.now() + (options.timeoutMs ?? 0);
    let told = false;
    try {
      while (!(await file.tryLock(true))) {
        const holder = await readHolder(path);
        if (Date.now() >= deadline) {
          const waited = options.timeoutMs ? ` after waiting ${formatMs(options.timeoutMs)}` : "";
          throw new LockError(
            `Cannot lock ${options.what ?? `"${path}"`}${waited}: another netform holds it ` +
              `(${holder.text}); wait for it to finish, or pass --lock-timeout to wait longer ` +
              `(lock file "${path}")`,
            holder.pid,
          );
        }
        if (!told) {
          options.onWait?.(holder.text);
          told = true;
        }
        await new Promise((r) =>
          setTimeout(r, Math.min(POLL_MS, Math.max(1, deadline - Date.now())))
        );
      }
    } catch (e) {
      file.close();
      throw e;
    }
    const info = `pid ${Deno.pid}\ncommand ${options.command ?? "netform"}\nsince ${
      new Date().toISOString()
    }\n`;
    await file.truncate(0);
    await file.write(new TextEncoder().encode(info));
    return new HostLock(file, path);
  }

  /** Frees the lock. Safe to call more than once. */
  release(): void {
    if (this.#file === undefined) return;
    try {
      this.#file.unlockSync();
    } finally {
      this.#file.close();
      this.#file = undefined;
    }
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Opens (creating) the lock file. It must be a regular file: opening a FIFO
 * for reading blocks, and a device may do anything on open. So the path is
 * checked before it is opened, and the open file again after. Failures
 * (a read-only file system, no permission) name the file and the fix.
 */
async function openLockFile(path: string, what: string | undefined): Promise<Deno.FsFile> {
  const refuse = (detail: string): never => {
    throw new UsageError(`Cannot lock ${what ?? `"${path}"`}: the lock file "${path}" ${detail}`);
  };
  const mustBeRegular = (info: Deno.FileInfo) => {
    if (!info.isFile) refuse(`is ${kindOf(info)}, not a regular file; remove it`);
  };
  let before: Deno.FileInfo | undefined;
  try {
    before = await Deno.stat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      refuse(`cannot be read: ${describeWriteFailure(e, path)}`);
    }
  }
  if (before) mustBeRegular(before);
  let file: Deno.FsFile;
  try {
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o755 });
    file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o644 });
  } catch (e) {
    return refuse(`cannot be created or opened: ${describeWriteFailure(e, path)}`);
  }
  try {
    mustBeRegular(await file.stat());
  } catch (e) {
    file.close();
    throw e;
  }
  return file;
}

/** The holder as its file describes it: `pid 123, apply, since 2026-…`. */
async function readHolder(path: string): Promise<{ pid?: number; text: string }> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch {
    // Unreadable: say so below.
  }
  const field = (name: string) => new RegExp(`^${name} (.*)$`, "m").exec(text)?.[1];
  const pid = Number(field("pid"));
  if (!Number.isInteger(pid) || pid <= 0) return { text: "holder unknown" };
  return {
    pid,
    text: `pid ${pid}${field("command") ? `, ${field("command")}` : ""}${
      field("since") ? `, since ${field("since")}` : ""
    }`,
  };
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
