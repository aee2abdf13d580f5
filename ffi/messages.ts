/**
 * rtnetlink message layouts, constants and attribute parsing. Pure TypeScript, no FFI:
 * builds the fixed headers as bytes and reads replies copied out of libnl's buffers.
 * Integers are in host byte order (little-endian on the supported x86_64 target).
 *
 * @module
 */

// ---- netlink ----------------------------------------------------------------------------
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_ECHO = 0x8;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** On `NLMSG_ERROR`: the echoed request was cut to its header. */
export const NLM_F_CAPPED = 0x100;
/** On `NLMSG_ERROR`: extended-ACK TLVs follow. */
export const NLM_F_ACK_TLVS = 0x200;
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

// ---- rtnetlink message types ---------------------------------------------------------------
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;
export const RTM_NEWNSID = 88;
export const RTM_DELNSID = 89;
export const RTM_GETNSID = 90;

// ---- address families ------------------------------------------------------------------------
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_INET6 = 10;

// ---- links -----------------------------------------------------------------------------------
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_PID = 19;
export const IFLA_IFALIAS = 20;
export const IFLA_AF_SPEC = 26;
export const IFLA_GROUP = 27;
export const IFLA_NET_NS_FD = 28;
export const IFLA_EXT_MASK = 29;
export const IFLA_LINK_NETNSID = 37;
export const IFLA_NEW_NETNSID = 45;
export const IFLA_TARGET_NETNSID = 46;
export const IFLA_NEW_IFINDEX = 49;
export const IFLA_ALT_IFNAME = 53;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_INFO_XSTATS = 3;
export const IFLA_INFO_SLAVE_KIND = 4;
export const IFLA_INFO_SLAVE_DATA = 5;
export const VETH_INFO_PEER = 1;
export const IFLA_IPVLAN_MODE = 1;
export const IFLA_IPVLAN_FLAGS = 2;
export const IPVLAN_MODE_L2 = 0;
export const IPVLAN_MODE_L3 = 1;
export const IPVLAN_MODE_L3S = 2;
export const IPVLAN_F_PRIVATE = 0x1;
export const IPVLAN_F_VEPA = 0x2;
export const IFLA_MACVLAN_MODE = 1;
export const IFLA_MACVLAN_FLAGS = 2;
export const MACVLAN_MODE_PRIVATE = 1;
export const MACVLAN_MODE_VEPA = 2;
export const MACVLAN_MODE_BRIDGE = 4;
export const MACVLAN_MODE_PASSTHRU = 8;
export const MACVLAN_MODE_SOURCE = 16;
export const MACVLAN_FLAG_NOPROMISC = 1;
export const MACVLAN_FLAG_NODST = 2;
export const IFLA_INET6_ADDR_GEN_MODE = 8;
export const IN6_ADDR_GEN_MODE_EUI64 = 0;
export const IN6_ADDR_GEN_MODE_NONE = 1;
export const IN6_ADDR_GEN_MODE_STABLE_PRIVACY = 2;
export const IN6_ADDR_GEN_MODE_RANDOM = 3;
export const IFF_UP = 0x1;

// ---- addresses -------------------------------------------------------------------------------
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;
export const IFA_RT_PRIORITY = 9;
export const IFA_TARGET_NETNSID = 10;
/** u8, the address protocol (include/uapi/linux/if_addr.h, Linux 5.18+). */
export const IFA_PROTO = 11;

// ---- routes ----------------------------------------------------------------------------------
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;
export const RTA_PREF = 20;
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;
export const RTPROT_UNSPEC = 0;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const FR_ACT_TO_TBL = 1;

// ---- nsid ------------------------------------------------------------------------------------
export const NETNSA_NSID = 1;
export const NETNSA_PID = 2;
export const NETNSA_FD = 3;
export const NETNSA_TARGET_NSID = 4;
export const NETNSA_CURRENT_NSID = 5;
export const NETNSA_NSID_NOT_ASSIGNED = -1;

// ---- messages and attributes -------------------------------------------------------------------

/** One reply message, copied into JS memory. `payload` excludes the 16-byte `nlmsghdr`. */
export interface NetlinkMessage {
  type: number;
  flags: number;
  payload: Uint8Array;
}

/**
 * An attribute to put into a request. `nested` may start with a fixed header (as
 * `VETH_INFO_PEER` starts with an `ifinfomsg`) before its attributes.
 */
export type Attr =
  | { kind: "u8" | "u16" | "u32" | "s32"; type: number; value: number }
  | { kind: "string"; type: number; value: string }
  | { kind: "bytes"; type: number; value: Uint8Array }
  | { kind: "flag"; type: number }
  | { kind: "nested"; type: number; header?: Uint8Array; attrs: readonly Attr[] };

/** Constructors for `Attr` values. */
export const attr = {
  u8: (type: number, value: number): Attr => ({ kind: "u8", type, value }),
  u16: (type: number, value: number): Attr => ({ kind: "u16", type, value }),
  u32: (type: number, value: number): Attr => ({ kind: "u32", type, value }),
  s32: (type: number, value: number): Attr => ({ kind: "s32", type, value }),
  string: (type: number, value: string): Attr => ({ kind: "string", type, value }),
  bytes: (type: number, value: Uint8Array): Attr => ({ kind: "bytes", type, value }),
  flag: (type: number): Attr => ({ kind: "flag", type }),
  nested: (type: number, attrs: readonly Attr[], header?: Uint8Array): Attr =>
    header === undefined
      ? { kind: "nested", type, attrs }
      : { kind: "nested", type, header, attrs },
};

/** Fields of `struct ifinfomsg` (16 bytes). */
export interface IfInfoMsg {
  family?: number;
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}

/** `struct ifinfomsg` as bytes. Every field defaults to 0. */
export function ifinfomsg(m: IfInfoMsg = {}): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint8(0, m.family ?? AF_UNSPEC);
  v.setUint16(2, m.type ?? 0, true);
  v.setInt32(4, m.index ?? 0, true);
  v.setUint32(8, m.flags ?? 0, true);
  v.setUint32(12, m.change ?? 0, true);
  return b;
}

/** Reads the `ifinfomsg` at the start of a link message payload. */
export function readIfInfoMsg(payload: Uint8Array): Required<IfInfoMsg> {
  const v = view(payload);
  return {
    family: v.getUint8(0),
    type: v.getUint16(2, true),
    index: v.getInt32(4, true),
    flags: v.getUint32(8, true),
    change: v.getUint32(12, true),
  };
}

/** Fields of `struct ifaddrmsg` (8 bytes). */
export interface IfAddrMsg {
  family?: number;
  prefixlen?: number;
  flags?: number;
  scope?: number;
  index?: number;
}

/** `struct ifaddrmsg` as bytes. Every field defaults to 0. */
export function ifaddrmsg(m: IfAddrMsg = {}): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, m.family ?? AF_UNSPEC);
  v.setUint8(1, m.prefixlen ?? 0);
  v.setUint8(2, m.flags ?? 0);
  v.setUint8(3, m.scope ?? 0);
  v.setUint32(4, m.index ?? 0, true);
  return b;
}

/** Reads the `ifaddrmsg` at the start of an address message payload. */
export function readIfAddrMsg(payload: Uint8Array): Required<IfAddrMsg> {
  const v = view(payload);
  return {
    family: v.getUint8(0),
    prefixlen: v.getUint8(1),
    flags: v.getUint8(2),
    scope: v.getUint8(3),
    index: v.getUint32(4, true),
  };
}

/** Fields of `struct rtmsg` (12 bytes). */
export interface RtMsg {
  family?: number;
  dstLen?: number;
  srcLen?: number;
  tos?: number;
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
  flags?: number;
}

/** `struct rtmsg` as bytes. Every field defaults to 0. */
export function rtmsg(m: RtMsg = {}): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint8(0, m.family ?? AF_UNSPEC);
  v.setUint8(1, m.dstLen ?? 0);
  v.setUint8(2, m.srcLen ?? 0);
  v.setUint8(3, m.tos ?? 0);
  v.setUint8(4, m.table ?? 0);
  v.setUint8(5, m.protocol ?? 0);
  v.setUint8(6, m.scope ?? 0);
  v.setUint8(7, m.type ?? 0);
  v.setUint32(8, m.flags ?? 0, true);
  return b;
}

/** Reads the `rtmsg` at the start of a route message payload. */
export function readRtMsg(payload: Uint8Array): Required<RtMsg> {
  const v = view(payload);
  return {
    family: v.getUint8(0),
    dstLen: v.getUint8(1),
    srcLen: v.getUint8(2),
    tos: v.getUint8(3),
    table: v.getUint8(4),
    protocol: v.getUint8(5),
    scope: v.getUint8(6),
    type: v.getUint8(7),
    flags: v.getUint32(8, true),
  };
}

/** `struct rtgenmsg` (one family byte, padded to 4). */
export function rtgenmsg(family = AF_UNSPEC): Uint8Array<ArrayBuffer> {
  return Uint8Array.of(family, 0, 0, 0);
}

/** Size of the fixed header each message type starts with, for finding its attributes. */
export const HEADER_SIZE = { link: 16, addr: 8, route: 12, rule: 12, nsid: 4 } as const;

/** One attribute read from a payload. `value` is a view into the payload (no copy). */
export interface ParsedAttr {
  /** The type without `NLA_F_NESTED`/`NLA_F_NET_BYTEORDER`. */
  type: number;
  nested: boolean;
  value: Uint8Array;
}

/**
 * Every attribute in `bytes[offset..end)`, in order. Stops at the first malformed attribute
 * header (a length below 4 or past the end), as the kernel's `nla_ok` does.
 */
export function attributeList(bytes: Uint8Array, offset = 0, end = bytes.length): ParsedAttr[] {
  const out: ParsedAttr[] = [];
  const v = view(bytes);
  let at = offset;
  while (at + 4 <= end) {
    const len = v.getUint16(at, true);
    const rawType = v.getUint16(at + 2, true);
    if (len < 4 || at + len > end) break;
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      value: bytes.subarray(at + 4, at + len),
    });
    at += align4(len);
  }
  return out;
}

/** The attributes in `bytes[offset..)` by type (the last one wins when a type repeats). */
export function parseAttributes(bytes: Uint8Array, offset = 0): Map<number, Uint8Array> {
  return new Map(attributeList(bytes, offset).map((a) => [a.type, a.value]));
}

/** Rounds up to the netlink alignment (4). */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** An attribute value as u8. */
export function readU8(value: Uint8Array): number {
  need(value, 1);
  return value[0]!;
}

/** An attribute value as u16 (host order). */
export function readU16(value: Uint8Array): number {
  need(value, 2);
  return view(value).getUint16(0, true);
}

/** An attribute value as u32 (host order). */
export function readU32(value: Uint8Array): number {
  need(value, 4);
  return view(value).getUint32(0, true);
}

/** An attribute value as s32 (host order). */
export function readS32(value: Uint8Array): number {
  need(value, 4);
  return view(value).getInt32(0, true);
}

const UTF8 = new TextDecoder();

/** An attribute value as a string, up to its first NUL. */
export function readString(value: Uint8Array): string {
  const nul = value.indexOf(0);
  return UTF8.decode(nul < 0 ? value : value.subarray(0, nul));
}

function need(value: Uint8Array, n: number): void {
  if (value.length < n) {
    throw new RangeError(`Cannot read attribute: ${value.length} bytes, need ${n}`);
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
