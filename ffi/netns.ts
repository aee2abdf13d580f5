/**
 * Named network namespaces, made exactly as `ip netns add/del` makes them, so `ip netns list`
 * and `ip netns exec` see ours and we see theirs. Every switch of the calling thread's netns
 * happens inside one synchronous call sequence and is undone in `finally`.
 *
 * @module
 */

import { KernelError } from "../src/errors.ts";
import {
  check,
  CLONE_NEWNET,
  cstr,
  errno,
  libc,
  LOCK_EX,
  MNT_DETACH,
  MS_BIND,
  MS_REC,
  MS_SHARED,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_RDONLY,
} from "./libc.ts";
import { errnoError } from "./errno.ts";

/** Where `ip netns` keeps its namespace files. */
export const NETNS_RUN_DIR = "/run/netns";
const THREAD_NETNS = "/proc/thread-self/ns/net";
const EINVAL = 22;

/** The file that pins namespace `name`. */
function pathOf(name: string, action: string): string {
  // iproute2 rejects the same names (ip/ipnetns.c: invalid_name).
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.length > 255) {
    throw new KernelError("EINVAL", action, `invalid namespace name "${name}"`);
  }
  return `${NETNS_RUN_DIR}/${name}`;
}

/**
 * Creates the named network namespace `name` (like `ip netns add NAME`).
 * Throws `KernelError` `EEXIST` when it exists already.
 */
export function createNamespace(name: string): void {
  const action = `Cannot create namespace "${name}"`;
  const path = pathOf(name, action);
  const c = libc();
  Deno.mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });

  // Serialize with concurrent `ip` processes while making the directory a shared mount point.
  const dir = check(c.open(cstr(NETNS_RUN_DIR), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), action);
  try {
    check(c.flock(dir, LOCK_EX), action);
    makeRunDirShared(action);
  } finally {
    c.close(dir); // also releases the lock
  }

  const file = check(c.open(cstr(path), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0), action);
  c.close(file);
  try {
    withSavedNamespace(action, () => {
      check(c.unshare(CLONE_NEWNET), action);
      check(c.mount(cstr(THREAD_NETNS), cstr(path), cstr("none"), BigInt(MS_BIND), null), action);
    });
  } catch (e) {
    c.umount2(cstr(path), MNT_DETACH);
    c.unlink(cstr(path));
    throw e;
  }
}

/** `mount --make-rshared /run/netns`, binding it onto itself first if it is not a mount point. */
function makeRunDirShared(action: string): void {
  const c = libc();
  const dir = cstr(NETNS_RUN_DIR);
  const none = cstr("none");
  for (let boundOnce = false;;) {
    if (c.mount(cstr(""), dir, none, BigInt(MS_SHARED | MS_REC), null) === 0) return;
    const e = errno();
    if (e !== EINVAL || boundOnce) throw errnoError(e, action);
    check(c.mount(dir, dir, none, BigInt(MS_BIND | MS_REC), null), action);
    boundOnce = true;
  }
}

/**
 * Deletes the named network namespace `name` (like `ip netns del NAME`): detaches its mount and
 * removes the file. The kernel frees the namespace once nothing else holds it.
 * Throws `KernelError` `ENOENT` when it does not exist.
 */
export function deleteNamespace(name: string): void {
  const action = `Cannot delete namespace "${name}"`;
  const path = pathOf(name, action);
  const c = libc();
  // Not a mount point (a stale file) gives EINVAL; iproute2 ignores umount errors too.
  c.umount2(cstr(path), MNT_DETACH);
  check(c.unlink(cstr(path)), action);
}

/**
 * Removes `/run/netns/NAME` when no namespace is mounted on it, which is what a process killed
 * between creating the file and mounting (or between unmounting and unlinking) leaves; `ip netns
 * add` of that name would fail with EEXIST. A mounted namespace file lives on nsfs, so its device
 * differs from the directory's. True when a stale file was removed.
 */
export function removeStaleNamespaceFile(name: string): boolean {
  const path = pathOf(name, `Cannot check namespace "${name}"`);
  let file: Deno.FileInfo;
  try {
    file = Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  if (file.dev !== Deno.statSync(NETNS_RUN_DIR).dev) return false;
  Deno.removeSync(path);
  return true;
}

/** Names of the named network namespaces (like `ip netns list`), sorted. */
export function listNamespaces(): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(NETNS_RUN_DIR)) names.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return names.sort();
}

/**
 * Runs `fn` with the calling thread switched into namespace `name` (`null`: stay where it is)
 * and switches back before returning, also when `fn` throws. `fn` must be synchronous: an
 * `await` would let other code run in the wrong namespace.
 */
export function inNamespace<T>(name: string | null, fn: () => T): T {
  if (name === null) return syncOnly(fn());
  const action = `Cannot enter namespace "${name}"`;
  const c = libc();
  const target = check(c.open(cstr(pathOf(name, action)), O_RDONLY | O_CLOEXEC, 0), action);
  try {
    return withSavedNamespace(action, () => {
      check(c.setns(target, CLONE_NEWNET), action);
      return syncOnly(fn());
    });
  } finally {
    c.close(target);
  }
}

/** Inode of the calling thread's network namespace (to compare namespaces). */
export function currentNamespaceInode(): number {
  return Deno.statSync(THREAD_NETNS).ino ?? 0;
}

/** Saves the thread's netns, runs `fn`, and always restores the saved netns. */
function withSavedNamespace<T>(action: string, fn: () => T): T {
  const c = libc();
  const saved = check(c.open(cstr(THREAD_NETNS), O_RDONLY | O_CLOEXEC, 0), action);
  try {
    return fn();
  } finally {
    const rc = c.setns(saved, CLONE_NEWNET);
    const e = rc < 0 ? errno() : 0;
    c.close(saved);
    // Carrying on in the wrong namespace would touch the wrong kernel state: stop the process.
    if (rc < 0) {
      console.error(`netform: cannot return to the original network namespace (errno ${e})`);
      Deno.exit(70);
    }
  }
}

function syncOnly<T>(value: T): T {
  if (value instanceof Promise) {
    throw new TypeError("inNamespace() needs a synchronous function, got a Promise");
  }
  return value;
}

/** The file of namespace `name` (`null`: the calling thread's own namespace). */
function namespaceFile(name: string | null, action: string): string {
  return name === null ? THREAD_NETNS : pathOf(name, action);
}

/**
 * Open fds of network namespaces, for `IFLA_NET_NS_FD`, opened on demand and closed together.
 * An open fd keeps its namespace alive, so close them as soon as the requests that carry them
 * were sent. Fds are plain integers: no pointer leaves this file.
 */
export class NamespaceFds implements Disposable {
  #fds = new Map<string | null, number>();

  /**
   * An fd of namespace `name` (`null`: the calling thread's own); throws `KernelError`
   * (`ENOENT` when it does not exist).
   */
  get(name: string | null): number {
    const known = this.#fds.get(name);
    if (known !== undefined) return known;
    const action = `Cannot open namespace "${name ?? "(own)"}"`;
    const fd = check(
      libc().open(cstr(namespaceFile(name, action)), O_RDONLY | O_CLOEXEC, 0),
      action,
    );
    this.#fds.set(name, fd);
    return fd;
  }

  /** Closes every fd. Safe to call more than once. */
  close(): void {
    for (const fd of this.#fds.values()) libc().close(fd);
    this.#fds.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
