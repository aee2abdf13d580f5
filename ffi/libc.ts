/**
 * libc bindings: the symbol table, lazy loading, and the `check` gate for `-1`/errno calls.
 * Internal to `ffi/`.
 *
 * @module
 */

import { errnoError } from "./errno.ts";

const SYMBOLS = {
  /** int *__errno_location(void); */
  __errno_location: { parameters: [], result: "pointer" },
  /** int open(const char *path, int flags, mode_t mode); */
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  /** int close(int fd); */
  close: { parameters: ["i32"], result: "i32" },
  /** int flock(int fd, int operation); */
  flock: { parameters: ["i32", "i32"], result: "i32" },
  /** int unlink(const char *path); */
  unlink: { parameters: ["buffer"], result: "i32" },
  /** int setns(int fd, int nstype); */
  setns: { parameters: ["i32", "i32"], result: "i32" },
  /** int unshare(int flags); */
  unshare: { parameters: ["i32"], result: "i32" },
  /** int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data); */
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "pointer"], result: "i32" },
  /** int umount2(const char *target, int flags); */
  umount2: { parameters: ["buffer", "i32"], result: "i32" },
  /** int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen); */
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  /** void free(void *ptr); */
  free: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/** libc, opened on first use. */
export function libc(): Libc {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return lib.symbols;
}

/** The calling thread's errno. Read it right after the failing call. */
export function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/**
 * The gate for every libc call that returns `-1` and sets errno: returns `rc` when it is not
 * negative, else throws a `KernelError` (or `SystemCallError`) naming `op`.
 */
export function check(rc: number, op: string): number {
  if (rc >= 0) return rc;
  throw errnoError(errno(), op);
}

/** A NUL-terminated C string. */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  if (s.includes("\0")) throw new TypeError(`String contains a NUL byte: "${s}"`);
  return new TextEncoder().encode(s + "\0");
}

// Values for x86_64 Linux.
export const O_RDONLY = 0;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
export const LOCK_EX = 2;
export const LOCK_UN = 8;
export const CLONE_NEWNET = 0x40000000;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_SHARED = 1 << 20;
export const MNT_DETACH = 2;
export const SOL_NETLINK = 270;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
