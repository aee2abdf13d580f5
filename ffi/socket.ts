/**
 * `RouteSocket`: one libnl `nl_sock` connected to NETLINK_ROUTE inside a chosen network
 * namespace, with extended ACKs, for dumps and pipelined requests. Kernel errors come through a
 * custom error callback that keeps the real errno and the kernel's extack message, instead of
 * libnl's folded `NLE_*` code.
 *
 * @module
 */

import { KernelError, type KernelErrorCode } from "../src/errors.ts";
import { errnoCode, SystemCallError } from "./errno.ts";
import { check as checkSys, libc, NETLINK_CAP_ACK, NETLINK_EXT_ACK, SOL_NETLINK } from "./libc.ts";
import {
  check,
  checkPointer,
  libnl,
  NETLINK_ROUTE,
  NL_CB_CUSTOM,
  NL_CB_MSG_IN,
  NL_OK,
  NL_STOP,
  NLE_DUMP_INTR,
  NLMSG_ALIGNTO,
} from "./libnl.ts";
import {
  align4,
  type Attr,
  type NetlinkMessage,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSGERR_ATTR_MSG,
  parseAttributes,
  readString,
} from "./messages.ts";
import { inNamespace } from "./netns.ts";

/** One request for `RouteSocket.transact`. `NLM_F_REQUEST|NLM_F_ACK` are always added. */
export interface Request {
  /** Message type, e.g. `RTM_NEWLINK`. */
  type: number;
  /** `NLM_F_*` flags, e.g. `NLM_F_CREATE | NLM_F_EXCL`. */
  flags: number;
  /** The fixed header (`ifinfomsg`, `ifaddrmsg`, `rtmsg`...). */
  header: Uint8Array;
  attrs: readonly Attr[];
  /** What the request does, for errors: `Cannot create link "veth0" in namespace "ns1"`. */
  action: string;
}

/** What happened to the requests of a `transact` call that failed. */
export interface TransactOutcome {
  /** Requests before the failed one; all of them were applied. Also the failed request's index. */
  readonly completed: number;
  /**
   * Indexes of requests after the failed one that were already in flight and that the kernel
   * applied anyway (it does not stop at an error). Empty when the failure was the last in flight.
   */
  readonly appliedAfter: readonly number[];
  /** Indexes of requests after the failed one that were in flight and failed too. */
  readonly failedAfter: readonly number[];
  /** Requests that were never sent. */
  readonly notSent: number;
}

/** A request of a `transact` call was refused; says how far the batch got. */
export class TransactError extends KernelError implements TransactOutcome {
  override name = "TransactError";
  constructor(
    code: KernelErrorCode,
    action: string,
    kernelMessage: string | undefined,
    readonly completed: number,
    readonly appliedAfter: readonly number[],
    readonly failedAfter: readonly number[],
    readonly notSent: number,
  ) {
    super(code, action, kernelMessage);
  }
}

/** Options for `RouteSocket.transact`. */
export interface TransactOptions {
  /**
   * Most requests in flight before acknowledgements are read. `1` sends the next request only
   * after the previous one succeeded, so nothing runs after a failure. Default 64 (bounded by
   * the socket's receive buffer, which must hold every pending acknowledgement).
   */
  window?: number;
}

const WINDOW = 64;
const DUMP_ATTEMPTS = 5;
const BUFFER_SIZE = 1 << 20;
const NLMSG_MIN_TYPE = 0x10;

interface CapturedError {
  errno: number;
  message: string | undefined;
}

const ERR_CB = { parameters: ["pointer", "pointer", "pointer"], result: "i32" } as const;
const MSG_CB = { parameters: ["pointer", "pointer"], result: "i32" } as const;

/** A NETLINK_ROUTE socket bound to one network namespace. Close it (or `using` it). */
export class RouteSocket {
  #sk: Deno.PointerObject | null;
  #errCb: Deno.UnsafeCallback<typeof ERR_CB>;
  #msgCb: Deno.UnsafeCallback<typeof MSG_CB>;
  #captured: CapturedError | undefined;
  #callbackFailure: unknown;
  #collected: NetlinkMessage[] | undefined;
  #interrupted = false;

  /** The namespace the socket talks to (`null`: the one the process was in when it opened). */
  readonly namespace: string | null;

  private constructor(sk: Deno.PointerObject, namespace: string | null) {
    this.#sk = sk;
    this.namespace = namespace;
    this.#errCb = new Deno.UnsafeCallback(ERR_CB, (_nla, err) => this.#onError(err));
    this.#msgCb = new Deno.UnsafeCallback(MSG_CB, (msg) => this.#onMessage(msg));
  }

  /**
   * Opens a socket in `namespace` (a name as `ip netns` knows it; `null`: the calling thread's
   * current one). The thread switches into the namespace only for `nl_connect` and back.
   */
  static open(namespace: string | null): RouteSocket {
    const where = namespace === null ? "the current namespace" : `namespace "${namespace}"`;
    const op = `Cannot open a netlink socket in ${where}`;
    const nl = libnl();
    const socket = new RouteSocket(checkPointer(nl.nl_socket_alloc(), op), namespace);
    try {
      const sk = socket.#handle();
      check(nl.nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, socket.#errCb.pointer, null), op);
      check(
        nl.nl_socket_modify_cb(sk, NL_CB_MSG_IN, NL_CB_CUSTOM, socket.#msgCb.pointer, null),
        op,
      );
      inNamespace(namespace, () => check(nl.nl_connect(sk, NETLINK_ROUTE), op));
      check(nl.nl_socket_set_buffer_size(sk, BUFFER_SIZE, BUFFER_SIZE), op);
      nl.nl_socket_enable_msg_peek(sk);
      check(nl.nl_socket_set_msg_buf_size(sk, 32768n), op);
      const fd = nl.nl_socket_get_fd(sk);
      const one = new Int32Array([1]);
      checkSys(libc().setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4), op);
      checkSys(libc().setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4), op);
      return socket;
    } catch (e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Sends an `NLM_F_DUMP` request of `type` with fixed header `header` (and optional attributes)
   * and returns every reply, copied into JS memory. Retries when the kernel flags the dump as
   * interrupted (`NLM_F_DUMP_INTR`), up to 5 times.
   */
  dump(type: number, header: Uint8Array, attrs: readonly Attr[] = []): NetlinkMessage[] {
    const action = `Cannot dump message type ${type}${this.#where()}`;
    const nl = libnl();
    for (let attempt = 1; attempt <= DUMP_ATTEMPTS; attempt++) {
      this.#send(type, NLM_F_DUMP, header, attrs, action);
      this.#collected = [];
      this.#interrupted = false;
      let rc: number;
      let replies: NetlinkMessage[];
      try {
        rc = nl.nl_recvmsgs_default(this.#handle());
      } finally {
        replies = this.#collected;
        this.#collected = undefined;
      }
      const failure = this.#takeFailure();
      if (failure !== undefined) throw errorFor(failure, action);
      if (rc === -NLE_DUMP_INTR || this.#interrupted) continue;
      check(rc, action);
      return replies;
    }
    throw new KernelError("EINTR", action, `dump interrupted ${DUMP_ATTEMPTS} times in a row`);
  }

  /**
   * Sends `requests` pipelined (up to `options.window` in flight, default 64) and reads their acknowledgements. Returns
   * when every request was acknowledged. On the first refusal it throws `TransactError` with the
   * kernel's errno name, that request's `action` and the kernel's message, and says how many
   * requests before it were applied. Requests already in flight behind a failed one are still
   * executed by the kernel; the error lists them. Nothing more is sent after a failure.
   */
  transact(requests: readonly Request[], options: TransactOptions = {}): void {
    const window = options.window ?? WINDOW;
    if (!Number.isInteger(window) || window < 1 || window > 256) {
      throw new RangeError(`Cannot send requests: window must be 1 to 256, got ${window}`);
    }
    const nl = libnl();
    let sent = 0;
    let acked = 0;
    let failure: { index: number; error: CapturedError } | undefined;
    const appliedAfter: number[] = [];
    const failedAfter: number[] = [];
    while (acked < requests.length) {
      while (failure === undefined && sent < requests.length && sent - acked < window) {
        const r = requests[sent]!;
        this.#send(r.type, r.flags, r.header, r.attrs, r.action);
        sent++;
      }
      if (acked === sent) break;
      const rc = nl.nl_wait_for_ack(this.#handle());
      const refused = this.#takeFailure();
      if (refused === undefined) check(rc, requests[acked]!.action);
      if (failure === undefined) {
        if (refused !== undefined) failure = { index: acked, error: refused };
      } else {
        (refused === undefined ? appliedAfter : failedAfter).push(acked);
      }
      acked++;
    }
    if (failure === undefined) return;
    const { index, error } = failure;
    const action = requests[index]!.action;
    const code = errnoCode(error.errno);
    if (code === undefined) throw new SystemCallError(error.errno, action, error.message);
    throw new TransactError(
      code,
      action,
      error.message,
      index,
      appliedAfter,
      failedAfter,
      requests.length - sent,
    );
  }

  /** Frees the socket. Safe to call more than once. */
  close(): void {
    if (this.#sk === null) return;
    libnl().nl_socket_free(this.#sk);
    this.#sk = null;
    this.#errCb.close();
    this.#msgCb.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #handle(): Deno.PointerObject {
    if (this.#sk === null) throw new TypeError("The netlink socket is closed");
    return this.#sk;
  }

  #where(): string {
    return this.namespace === null ? "" : ` in namespace "${this.namespace}"`;
  }

  /** Builds one message with libnl's message API and sends it (libnl sets seq and port). */
  #send(type: number, flags: number, header: Uint8Array, attrs: readonly Attr[], op: string) {
    const nl = libnl();
    const sk = this.#handle();
    const msg = checkPointer(nl.nlmsg_alloc_simple(type, flags | NLM_F_REQUEST | NLM_F_ACK), op);
    try {
      if (header.length > 0) {
        check(nl.nlmsg_append(msg, copy(header), BigInt(header.length), NLMSG_ALIGNTO), op);
      }
      putAttrs(msg, attrs, op);
      check(nl.nl_send_auto(sk, msg), op);
    } finally {
      nl.nlmsg_free(msg);
    }
  }

  #takeFailure(): CapturedError | undefined {
    if (this.#callbackFailure !== undefined) {
      const e = this.#callbackFailure;
      this.#callbackFailure = undefined;
      this.#captured = undefined;
      throw e;
    }
    const c = this.#captured;
    this.#captured = undefined;
    return c;
  }

  /** `int (*nl_recvmsg_err_cb_t)(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)` */
  #onError(err: Deno.PointerValue): number {
    try {
      if (err === null) throw new TypeError("libnl passed no nlmsgerr");
      const body = new Deno.UnsafePointerView(err);
      // The nlmsghdr of the NLMSG_ERROR message sits right before its payload.
      const hdr = new Deno.UnsafePointerView(Deno.UnsafePointer.offset(err, -16)!);
      const len = hdr.getUint32(0);
      const flags = hdr.getUint16(6);
      let message: string | undefined;
      if (flags & NLM_F_ACK_TLVS) {
        const echoed = flags & NLM_F_CAPPED ? 16 : align4(body.getUint32(4));
        const start = 16 + 4 + echoed;
        if (len > start) {
          const tlvs = new Uint8Array(len - start);
          hdr.copyInto(tlvs, start);
          const text = parseAttributes(tlvs).get(NLMSGERR_ATTR_MSG);
          if (text !== undefined) message = readString(text);
        }
      }
      this.#captured = { errno: -body.getInt32(0), message };
    } catch (e) {
      this.#callbackFailure = e;
    }
    return NL_STOP;
  }

  /** `int (*nl_recvmsg_msg_cb_t)(struct nl_msg *msg, void *arg)`, called for every message. */
  #onMessage(msg: Deno.PointerValue): number {
    try {
      const h = libnl().nlmsg_hdr(msg);
      if (h === null) return NL_OK;
      const hdr = new Deno.UnsafePointerView(h);
      const len = hdr.getUint32(0);
      const type = hdr.getUint16(4);
      const flags = hdr.getUint16(6);
      if (flags & NLM_F_DUMP_INTR) this.#interrupted = true;
      if (this.#collected !== undefined && type >= NLMSG_MIN_TYPE && len >= 16) {
        const payload = new Uint8Array(len - 16);
        hdr.copyInto(payload, 16);
        this.#collected.push({ type, flags, payload });
      }
    } catch (e) {
      this.#callbackFailure = e;
      return NL_STOP;
    }
    return NL_OK;
  }
}

function putAttrs(msg: Deno.PointerObject, attrs: readonly Attr[], op: string): void {
  const nl = libnl();
  for (const a of attrs) {
    switch (a.kind) {
      case "u8":
        check(nl.nla_put_u8(msg, a.type, int(a.value, 0, 0xff, a)), op);
        break;
      case "u16":
        check(nl.nla_put_u16(msg, a.type, int(a.value, 0, 0xffff, a)), op);
        break;
      case "u32":
        check(nl.nla_put_u32(msg, a.type, int(a.value, 0, 0xffffffff, a)), op);
        break;
      case "s32":
        check(nl.nla_put_s32(msg, a.type, int(a.value, -0x80000000, 0x7fffffff, a)), op);
        break;
      case "string":
        if (a.value.includes("\0")) throw new TypeError(`Attribute ${a.type} contains a NUL byte`);
        check(nl.nla_put_string(msg, a.type, new TextEncoder().encode(a.value + "\0")), op);
        break;
      case "bytes":
        check(nl.nla_put(msg, a.type, a.value.length, copy(a.value)), op);
        break;
      case "flag":
        check(nl.nla_put_flag(msg, a.type), op);
        break;
      case "nested": {
        const start = checkPointer(nl.nla_nest_start(msg, a.type), op);
        if (a.header !== undefined && a.header.length > 0) {
          check(nl.nlmsg_append(msg, copy(a.header), BigInt(a.header.length), NLMSG_ALIGNTO), op);
        }
        putAttrs(msg, a.attrs, op);
        check(nl.nla_nest_end(msg, start), op);
        break;
      }
    }
  }
}

function int(value: number, min: number, max: number, a: Attr): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Attribute ${a.type} (${a.kind}) out of range: ${value}`);
  }
  return value;
}

/** A copy backed by its own ArrayBuffer (FFI `buffer` parameters need one). */
function copy(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

function errorFor(e: CapturedError, action: string): KernelError | SystemCallError {
  const code = errnoCode(e.errno);
  return code === undefined
    ? new SystemCallError(e.errno, action, e.message)
    : new KernelError(code, action, e.message);
}
