/**
 * libnl-3 bindings: the symbol table, lazy loading, and the `check` gate for libnl's
 * `0 / -NLE_*` return codes. Internal to `ffi/`. Every call is synchronous: netns switching
 * depends on running on the calling thread.
 *
 * Only the message and socket layer of libnl-3 is bound; netform builds and parses rtnetlink
 * messages itself (libnl-route 3.7 cannot express everything it needs, e.g. ipvlan flags).
 *
 * @module
 */

import { LibnlError } from "./errno.ts";

const SONAME = "libnl-3.so.200";

const SYMBOLS = {
  /** struct nl_sock *nl_socket_alloc(void); */
  nl_socket_alloc: { parameters: [], result: "pointer" },
  /** void nl_socket_free(struct nl_sock *sk); */
  nl_socket_free: { parameters: ["pointer"], result: "void" },
  /** int nl_connect(struct nl_sock *sk, int protocol); */
  nl_connect: { parameters: ["pointer", "i32"], result: "i32" },
  /** int nl_socket_get_fd(const struct nl_sock *sk); */
  nl_socket_get_fd: { parameters: ["pointer"], result: "i32" },
  /** int nl_socket_set_buffer_size(struct nl_sock *sk, int rxbuf, int txbuf); */
  nl_socket_set_buffer_size: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  /** int nl_socket_set_msg_buf_size(struct nl_sock *sk, size_t bufsize); */
  nl_socket_set_msg_buf_size: { parameters: ["pointer", "usize"], result: "i32" },
  /** void nl_socket_enable_msg_peek(struct nl_sock *sk); */
  nl_socket_enable_msg_peek: { parameters: ["pointer"], result: "void" },
  /** int nl_socket_modify_err_cb(struct nl_sock *sk, enum nl_cb_kind kind, nl_recvmsg_err_cb_t func, void *arg); */
  nl_socket_modify_err_cb: {
    parameters: ["pointer", "i32", "function", "pointer"],
    result: "i32",
  },
  /** int nl_socket_modify_cb(struct nl_sock *sk, enum nl_cb_type type, enum nl_cb_kind kind, nl_recvmsg_msg_cb_t func, void *arg); */
  nl_socket_modify_cb: {
    parameters: ["pointer", "i32", "i32", "function", "pointer"],
    result: "i32",
  },
  /** int nl_send_auto(struct nl_sock *sk, struct nl_msg *msg); */
  nl_send_auto: { parameters: ["pointer", "pointer"], result: "i32" },
  /** int nl_recvmsgs_default(struct nl_sock *sk); */
  nl_recvmsgs_default: { parameters: ["pointer"], result: "i32" },
  /** int nl_wait_for_ack(struct nl_sock *sk); */
  nl_wait_for_ack: { parameters: ["pointer"], result: "i32" },
  /** const char *nl_geterror(int error); */
  nl_geterror: { parameters: ["i32"], result: "pointer" },
  /** struct nl_msg *nlmsg_alloc_simple(int nlmsgtype, int flags); */
  nlmsg_alloc_simple: { parameters: ["i32", "i32"], result: "pointer" },
  /** int nlmsg_append(struct nl_msg *n, void *data, size_t len, int pad); */
  nlmsg_append: { parameters: ["pointer", "buffer", "usize", "i32"], result: "i32" },
  /** void nlmsg_free(struct nl_msg *msg); */
  nlmsg_free: { parameters: ["pointer"], result: "void" },
  /** struct nlmsghdr *nlmsg_hdr(struct nl_msg *n); */
  nlmsg_hdr: { parameters: ["pointer"], result: "pointer" },
  /** int nla_put(struct nl_msg *msg, int attrtype, int datalen, const void *data); */
  nla_put: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  /** int nla_put_u8(struct nl_msg *msg, int attrtype, uint8_t value); */
  nla_put_u8: { parameters: ["pointer", "i32", "u8"], result: "i32" },
  /** int nla_put_u16(struct nl_msg *msg, int attrtype, uint16_t value); */
  nla_put_u16: { parameters: ["pointer", "i32", "u16"], result: "i32" },
  /** int nla_put_u32(struct nl_msg *msg, int attrtype, uint32_t value); */
  nla_put_u32: { parameters: ["pointer", "i32", "u32"], result: "i32" },
  /** int nla_put_s32(struct nl_msg *msg, int attrtype, int32_t value); */
  nla_put_s32: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  /** int nla_put_string(struct nl_msg *msg, int attrtype, const char *str); */
  nla_put_string: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  /** int nla_put_flag(struct nl_msg *msg, int attrtype); */
  nla_put_flag: { parameters: ["pointer", "i32"], result: "i32" },
  /** struct nlattr *nla_nest_start(struct nl_msg *msg, int attrtype); */
  nla_nest_start: { parameters: ["pointer", "i32"], result: "pointer" },
  /** int nla_nest_end(struct nl_msg *msg, struct nlattr *start); */
  nla_nest_end: { parameters: ["pointer", "pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded libnl-3 symbols. */
export type Libnl = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/** Raised when libnl is not installed. */
export class LibnlMissingError extends Error {
  override name = "LibnlMissingError";
}

/** libnl-3, opened on first use. */
export function libnl(): Libnl {
  if (lib === undefined) {
    try {
      lib = Deno.dlopen(SONAME, SYMBOLS);
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) throw e;
      throw new LibnlMissingError(
        `Cannot load "${SONAME}": libnl 3 is not installed ` +
          `(install the Debian packages "libnl-3-200 libnl-route-3-200")`,
        { cause: e },
      );
    }
  }
  return lib.symbols;
}

/**
 * The gate for every libnl call that returns `0`/a count or `-NLE_*`: returns `rc` when it is
 * not negative, else throws a `LibnlError` naming `op`. Kernel errors are reported through
 * the socket's error callback, before this gate is reached (see `socket.ts`).
 */
export function check(rc: number, op: string): number {
  if (rc >= 0) return rc;
  const text = libnl().nl_geterror(rc);
  throw new LibnlError(
    -rc,
    op,
    text === null ? "unknown" : Deno.UnsafePointerView.getCString(text),
  );
}

/** Throws when libnl returned a null object (its allocation failed). */
export function checkPointer(p: Deno.PointerValue, op: string): Deno.PointerObject {
  if (p === null) throw new LibnlError(NLE_NOMEM, op, "Out of memory");
  return p;
}

export const NETLINK_ROUTE = 0;
export const NL_CB_CUSTOM = 3;
export const NL_CB_MSG_IN = 5;
export const NL_OK = 0;
export const NL_SKIP = 1;
export const NL_STOP = 2;
export const NLMSG_ALIGNTO = 4;
export const NLE_NOMEM = 5;
export const NLE_DUMP_INTR = 33;
