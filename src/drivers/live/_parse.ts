/**
 * Pure parsers for rtnetlink dump replies: one `RTM_NEWLINK`/`RTM_NEWADDR`/`RTM_NEWROUTE`
 * payload (without its `nlmsghdr`) to a flat record of the fields netform models. No FFI, so
 * every branch (ipvlan included, which this kernel cannot create) is testable on bytes.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import {
  AF_INET,
  AF_INET6,
  attributeList,
  HEADER_SIZE,
  IFA_ADDRESS,
  IFA_LOCAL,
  IFA_PROTO,
  IFLA_ADDRESS,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPVLAN_FLAGS,
  IFLA_IPVLAN_MODE,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  IFLA_MASTER,
  IFLA_MTU,
  parseAttributes,
  readIfAddrMsg,
  readIfInfoMsg,
  readRtMsg,
  readS32,
  readString,
  readU16,
  readU32,
  readU8,
  RTA_DST,
  RTA_GATEWAY,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
} from "../../../ffi/messages.ts";

/** `ARPHRD_LOOPBACK`: the device type of `lo`. */
export const ARPHRD_LOOPBACK = 772;

/** The fields of one link message that the model needs. */
export interface RawLink {
  ifindex: number;
  name: string;
  /** `ifi_type` (ARPHRD_*). */
  type: number;
  /** `ifi_flags` (IFF_*). */
  flags: number;
  /** IFLA_ADDRESS (hardware address) as lowercase hex, `:`-separated. */
  mac?: string;
  mtu?: number;
  alias?: string;
  /** IFLA_MASTER: ifindex of the master, same namespace. */
  master?: number;
  /** IFLA_LINK: ifindex of the lower device / veth peer, in `linkNetnsid`'s namespace. */
  link?: number;
  /** IFLA_LINK_NETNSID: the lower device's namespace as an nsid of the READER's namespace. */
  linkNetnsid?: number;
  /** IFLA_INFO_KIND. */
  kind?: string;
  /** IFLA_MACVLAN_MODE (u32 bit value). */
  macvlanMode?: number;
  /** IFLA_IPVLAN_MODE (u16); the port's mode, reported by every slave. */
  ipvlanMode?: number;
  /** IFLA_IPVLAN_FLAGS (u16); the port's flags, reported by every slave. */
  ipvlanFlags?: number;
}

/** The fields of one address message. */
export interface RawAddress {
  family: number;
  ifindex: number;
  prefixlen: number;
  /** IFA_LOCAL, else IFA_ADDRESS, as canonical text. */
  address: string;
  /** IFA_PROTO; 0 when absent. */
  protocol: number;
  /** IFA_F_SECONDARY in ifa_flags. */
  secondary: boolean;
}

/** The fields of one route message. */
export interface RawRoute {
  family: number;
  dstLen: number;
  /** RTA_DST as text; absent for a default route. */
  dst?: string;
  /** RTA_TABLE, else `rtm_table`. */
  table: number;
  protocol: number;
  scope: number;
  type: number;
  gateway?: string;
  oif?: number;
  /** RTA_PRIORITY; 0 when absent. */
  priority: number;
  prefsrc?: string;
  /** RTA_MULTIPATH was present (gateway/oif then come from its first nexthop). */
  multipath: boolean;
}

/** Parses a link message payload (starting at its `ifinfomsg`). */
export function parseLink(payload: Uint8Array): RawLink {
  const hdr = readIfInfoMsg(payload);
  const attrs = parseAttributes(payload, HEADER_SIZE.link);
  const out: RawLink = {
    ifindex: hdr.index,
    name: str(attrs.get(IFLA_IFNAME)) ?? `if${hdr.index}`,
    type: hdr.type,
    flags: hdr.flags,
  };
  const mac = attrs.get(IFLA_ADDRESS);
  if (mac) out.mac = [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
  const mtu = attrs.get(IFLA_MTU);
  if (mtu) out.mtu = readU32(mtu);
  const alias = str(attrs.get(IFLA_IFALIAS));
  if (alias) out.alias = alias;
  const master = attrs.get(IFLA_MASTER);
  if (master && readU32(master) !== 0) out.master = readU32(master);
  const link = attrs.get(IFLA_LINK);
  if (link) out.link = readU32(link);
  const nsid = attrs.get(IFLA_LINK_NETNSID);
  if (nsid) out.linkNetnsid = readS32(nsid);
  const info = attrs.get(IFLA_LINKINFO);
  if (info) {
    const infoAttrs = parseAttributes(info);
    const kind = str(infoAttrs.get(IFLA_INFO_KIND));
    if (kind) out.kind = kind;
    const data = infoAttrs.get(IFLA_INFO_DATA);
    if (data && kind === "macvlan") {
      const mode = parseAttributes(data).get(IFLA_MACVLAN_MODE);
      if (mode) out.macvlanMode = readU32(mode);
    } else if (data && kind === "ipvlan") {
      const d = parseAttributes(data);
      const mode = d.get(IFLA_IPVLAN_MODE);
      const flags = d.get(IFLA_IPVLAN_FLAGS);
      if (mode) out.ipvlanMode = readU16(mode);
      if (flags) out.ipvlanFlags = readU16(flags);
    }
  }
  return out;
}

/** Parses an address message payload (starting at its `ifaddrmsg`). */
export function parseAddress(payload: Uint8Array): RawAddress | undefined {
  const hdr = readIfAddrMsg(payload);
  const attrs = parseAttributes(payload, HEADER_SIZE.addr);
  const address = ipText(hdr.family, attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS));
  if (address === undefined) return undefined;
  const proto = attrs.get(IFA_PROTO);
  return {
    family: hdr.family,
    ifindex: hdr.index,
    prefixlen: hdr.prefixlen,
    address,
    protocol: proto ? readU8(proto) : 0,
    secondary: (hdr.flags & IFA_F_SECONDARY) !== 0,
  };
}

/** ifa_flags: an IPv4 secondary address. */
const IFA_F_SECONDARY = 0x01;

/** Parses a route message payload (starting at its `rtmsg`). */
export function parseRoute(payload: Uint8Array): RawRoute {
  const hdr = readRtMsg(payload);
  const attrs = parseAttributes(payload, HEADER_SIZE.route);
  const table = attrs.get(RTA_TABLE);
  const priority = attrs.get(RTA_PRIORITY);
  const out: RawRoute = {
    family: hdr.family,
    dstLen: hdr.dstLen,
    table: table ? readU32(table) : hdr.table,
    protocol: hdr.protocol,
    scope: hdr.scope,
    type: hdr.type,
    priority: priority ? readU32(priority) : 0,
    multipath: false,
  };
  const dst = ipText(hdr.family, attrs.get(RTA_DST));
  if (dst !== undefined) out.dst = dst;
  let gateway = attrs.get(RTA_GATEWAY);
  let oif = attrs.get(RTA_OIF);
  const multipath = attrs.get(RTA_MULTIPATH);
  if (multipath && multipath.length >= 8) {
    // struct rtnexthop { u16 len; u8 flags; u8 hops; s32 ifindex; } + attributes. The model
    // has one nexthop per route; report the first.
    out.multipath = true;
    const v = new DataView(multipath.buffer, multipath.byteOffset, multipath.byteLength);
    const len = Math.min(v.getUint16(0, true), multipath.length);
    const ifindex = v.getInt32(4, true);
    if (ifindex > 0 && !oif) oif = multipath.subarray(4, 8);
    const nh = parseAttributes(multipath.subarray(0, len), 8);
    gateway ??= nh.get(RTA_GATEWAY);
  }
  const gw = ipText(hdr.family, gateway);
  if (gw !== undefined) out.gateway = gw;
  if (oif) out.oif = readU32(oif);
  const prefsrc = ipText(hdr.family, attrs.get(RTA_PREFSRC));
  if (prefsrc !== undefined) out.prefsrc = prefsrc;
  return out;
}

/** Every attribute type present in a payload, for tests and diagnostics. */
export function attributeTypes(payload: Uint8Array, headerSize: number): number[] {
  return attributeList(payload, headerSize).map((a) => a.type);
}

function str(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : readString(value);
}

/** An address attribute as canonical text (dotted quad; RFC 5952 for IPv6). */
export function ipText(family: number, value: Uint8Array | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (family === AF_INET && value.length === 4) return [...value].join(".");
  if (family === AF_INET6 && value.length === 16) {
    return (ipaddr.fromByteArray([...value]) as ipaddr.IPv6).toRFC5952String();
  }
  return undefined;
}
