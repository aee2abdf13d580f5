/**
 * Open fds of network namespaces, for `IFLA_NET_NS_FD`. `ffi/` has no helper that hands out a
 * namespace fd, and Deno does not expose raw fds, so this file binds libc's `open` and `close`
 * itself. No pointer is involved (paths go in as buffers, fds come out as integers) and none
 * leaves this file.
 *
 * @module
 */
import { errnoError } from "../../../ffi/errno.ts";
import { NETNS_RUN_DIR } from "../../../ffi/netns.ts";
import { ROOT_NAMESPACE } from "../../model/names.ts";
import { KernelError } from "../../errors.ts";

const SYMBOLS = {
  /** int open(const char *path, int flags, mode_t mode); */
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  /** int close(int fd); */
  close: { parameters: ["i32"], result: "i32" },
  /** int *__errno_location(void); */
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return lib.symbols;
}

function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/** The file of namespace `name` (`root`: the calling thread's own namespace). */
export function namespacePath(name: string): string {
  if (name === ROOT_NAMESPACE) return "/proc/thread-self/ns/net";
  if (name === "" || name === "." || name === ".." || name.includes("/")) {
    throw errnoError(22, `Cannot open namespace "${name}"`, `invalid namespace name "${name}"`);
  }
  return `${NETNS_RUN_DIR}/${name}`;
}

/**
 * Namespace fds opened on demand and closed together. An open fd keeps its namespace alive, so
 * close them as soon as the requests that carry them were sent.
 */
export class NamespaceFds implements Disposable {
  #fds = new Map<string, number>();

  /** An fd of namespace `name`; throws `KernelError` (`ENOENT` when it does not exist). */
  get(name: string): number {
    const known = this.#fds.get(name);
    if (known !== undefined) return known;
    const path = new TextEncoder().encode(namespacePath(name) + "\0");
    const fd = libc().open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) throw errnoError(errno(), `Cannot open namespace "${name}"`);
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

/**
 * `ip netns del` unmounts the namespace file, then unlinks it: in between, the file is still
 * listed but `setns` on it gives EINVAL; after it, `open` gives ENOENT. Either way the
 * namespace is gone (or going), and there is nothing in it to observe.
 */
export function isVanishedNamespace(e: unknown): boolean {
  return e instanceof KernelError && (e.code === "ENOENT" || e.code === "EINVAL");
}
