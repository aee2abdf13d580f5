/**
 * Writing the files netform keeps: the simulator's state, saved plans and
 * snapshots, the intent and pending-revert records. Each is written to a
 * temporary file next to it (`<file>.<pid>.tmp`), fsynced, and renamed over
 * it, so a process killed mid-write leaves the old file whole.
 *
 * - A symbolic link is followed and its target replaced, not the link: a user
 *   who links `host.json` to a shared folder expects the shared file updated
 *   and the link kept. (Replacing the link with a regular file would silently
 *   fork the state; refusing would forbid a reasonable setup.)
 * - An existing path that is not a regular file (a FIFO, a device, a
 *   directory, a socket) is refused, and so is a file with no write
 *   permission bit at all: a `chmod a-w` is a statement, even to root.
 * - The new file keeps the old one's mode (and, when we are root, owner).
 * - A failure (permission, read-only file system, no space, no directory) is a
 *   {@linkcode UsageError} naming the file, the reason and the fix, and the
 *   temporary file is removed.
 * - Temporary files that killed writers left next to the file are removed
 *   ({@linkcode sweepStaleTemporaries}); a live writer's are kept.
 *
 * @module
 */
import { basename, dirname, isAbsolute, join } from "node:path";
import { UsageError } from "./errors.ts";
import { kindOf } from "./read_regular_file.ts";

/** Options of {@linkcode writeDurably}. */
export interface WriteOptions {
  /** What the file is, for messages: `the state file`, `the plan`. Default `the file`. */
  what?: string;
}

/** Symbolic links followed before giving up, as the kernel's own limit (MAXSYMLINKS). */
const MAX_LINKS = 40;

/**
 * Writes `text` to `path` durably (see the module).
 *
 * @throws {UsageError} naming the file, what went wrong and what to do.
 *
 * @example
 * ```ts
 * import { writeDurably } from "./durable_file.ts";
 * const dir = await Deno.makeTempDir();
 * await writeDurably(`${dir}/host.json`, "{}\n", { what: "the state file" });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeDurably(
  path: string,
  text: string,
  options: WriteOptions = {},
): Promise<void> {
  const { target, what, existing, mode } = await checkWritable(path, options);
  await sweepStaleTemporaries(target);
  const tmp = `${target}.${Deno.pid}.tmp`;
  let file: Deno.FsFile | undefined;
  try {
    file = await createNew(tmp, mode);
    await Deno.chmod(tmp, mode); // exactly the old mode, whatever the umask
    if (existing && Deno.uid() === 0 && existing.uid !== null && existing.gid !== null) {
      await Deno.chown(tmp, existing.uid, existing.gid);
    }
    const bytes = new TextEncoder().encode(text);
    // write() may take fewer bytes than it is given.
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    await file.sync();
    file.close();
    file = undefined;
    await Deno.rename(tmp, target);
  } catch (e) {
    file?.close();
    await Deno.remove(tmp).catch(() => {});
    throw new UsageError(
      `Cannot write ${what}: ${describeWriteFailure(e, target)}`,
      { cause: e },
    );
  }
  await syncDirectory(dirname(target));
}

/**
 * Where a write to `path` lands and with which mode, after the checks that
 * need no writing: links followed, an existing target a regular file with a
 * write permission bit. Lets a caller refuse before it does any work.
 *
 * @throws {UsageError} naming the file, what is wrong and what to do.
 */
export async function checkWritable(path: string, options: WriteOptions = {}): Promise<{
  target: string;
  what: string;
  existing: Deno.FileInfo | undefined;
  mode: number;
}> {
  const named = `${options.what ?? "the file"} "${path}"`;
  const target = await followLinks(path, named);
  const what = target === path ? named : `${named} (a symbolic link to "${target}")`;
  const existing = await lstatOrUndefined(target, named);
  if (existing && !existing.isFile) {
    throw new UsageError(
      `Cannot write ${what}: it is ${
        kindOf(existing)
      }, not a regular file; choose a path that is a regular file or does not exist yet`,
    );
  }
  const mode = existing?.mode === null || existing === undefined ? 0o644 : existing.mode & 0o7777;
  if (existing && (mode & 0o222) === 0) {
    throw new UsageError(
      `Cannot write ${what}: it is read-only (mode ${
        mode.toString(8).padStart(4, "0")
      }); make it writable (chmod u+w "${target}"), or choose another path`,
    );
  }
  return { target, what, existing, mode };
}

/** Creates `tmp` exclusively; a leftover of our own pid (a reused pid) is replaced. */
async function createNew(tmp: string, mode: number): Promise<Deno.FsFile> {
  try {
    return await Deno.open(tmp, { write: true, createNew: true, mode });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    await Deno.remove(tmp);
    return await Deno.open(tmp, { write: true, createNew: true, mode });
  }
}

/** Makes the rename itself durable; a file system that cannot sync a directory is let be. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // The data is synced and renamed; only the rename's durability is in question.
  }
}

/**
 * The path a write to `path` lands on: `path` itself, or the end of its chain
 * of symbolic links (which need not exist yet).
 */
export async function followLinks(path: string, what = `"${path}"`): Promise<string> {
  let current = path;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    const info = await lstatOrUndefined(current, what);
    if (info === undefined || !info.isSymlink) return current;
    const link = await Deno.readLink(current);
    current = isAbsolute(link) ? link : join(dirname(current), link);
  }
  throw new UsageError(
    `Cannot write ${what}: its symbolic links go round in a loop (ELOOP); fix the links`,
  );
}

async function lstatOrUndefined(path: string, what: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new UsageError(`Cannot write ${what}: ${describeWriteFailure(e, path)}`, { cause: e });
  }
}

/**
 * Why writing `file` (or creating it, or a temporary file next to it) failed,
 * and what to do about it: `"/ro" is on a read-only file system (EROFS);
 * remount it read-write, or choose another path`.
 */
export function describeWriteFailure(e: unknown, file: string): string {
  const dir = dirname(file);
  const code = (e as { code?: string }).code;
  switch (code) {
    case "EACCES":
      return `permission denied in "${dir}" (EACCES); make it writable for this user, ` +
        `or choose another path`;
    case "EPERM":
      return `the operation is not permitted in "${dir}" (EPERM): the file or the directory ` +
        `may be immutable or append-only (see lsattr); clear the flag (chattr -i), ` +
        `or choose another path`;
    case "EROFS":
      return `"${dir}" is on a read-only file system (EROFS); remount it read-write, ` +
        `or choose another path`;
    case "ENOSPC":
      return `no space left on the device of "${dir}" (ENOSPC); free some space, ` +
        `or choose another path`;
    case "EDQUOT":
      return `the disk quota of "${dir}" is exhausted (EDQUOT); free some space, ` +
        `or choose another path`;
    case "ENOENT":
      return `the directory "${dir}" does not exist; create it, or check the path`;
    case "ENOTDIR":
      return `a part of the path "${dir}" is not a directory (ENOTDIR); check the path`;
    case "EISDIR":
      return `it is a directory, not a regular file; choose another path`;
    default:
      return `${(e as Error).message}; check the path and its directory`;
  }
}

/** The pid in `<base>.<pid>.tmp`, or undefined for any other name. */
function temporaryPid(name: string, base: string): number | undefined {
  if (!name.startsWith(`${base}.`) || !name.endsWith(".tmp")) return undefined;
  const middle = name.slice(base.length + 1, -".tmp".length);
  return /^[1-9]\d{0,9}$/.test(middle) ? Number(middle) : undefined;
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the temporary files `<file>.<pid>.tmp` that writers killed while
 * writing `file` left behind: those whose pid is no live process (by
 * `/proc/<pid>`). A live writer's file is kept, and so is everything when
 * `/proc` cannot tell. Best effort: a directory we cannot list is let be.
 * Returns the files removed.
 */
export async function sweepStaleTemporaries(file: string): Promise<string[]> {
  if (!(await pathExists("/proc/self"))) return [];
  const dir = dirname(file);
  const base = basename(file);
  const removed: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      const pid = temporaryPid(entry.name, base);
      if (pid === undefined || pid === Deno.pid || await pathExists(`/proc/${pid}`)) continue;
      const stale = join(dir, entry.name);
      try {
        await Deno.remove(stale);
        removed.push(stale);
      } catch {
        // Gone already, or not ours to remove.
      }
    }
  } catch {
    // Unlistable: the write that follows reports what is wrong with the directory.
  }
  return removed;
}
