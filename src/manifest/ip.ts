/**
 * IP address and CIDR helpers for manifests, built on ipaddr.js. Parsing is
 * strict where ipaddr.js is lenient: IPv4 must be four decimal parts
 * (`"10.1"` and `"0x0a.0.0.1"` are refused, as iproute2 users would not expect
 * them to mean 10.0.0.1) and IPv6 zone ids (`fe80::1%eth0`) are refused,
 * because the kernel's address and route attributes have no zone.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

/** A parsed IP address. */
export type Ip = ipaddr.IPv4 | ipaddr.IPv6;
/** 4 for IPv4, 6 for IPv6. */
export type IpFamily = 4 | 6;

/** A parsed CIDR: the address as written (host part kept) and the prefix length. */
export interface Cidr {
  ip: Ip;
  prefix: number;
}

const FOUR_PARTS = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/**
 * The common case without ipaddr.js's parser, which dominated validating 100,000 objects: four
 * decimal parts without leading zeros, each at most 255. Anything else (`undefined`) goes the
 * general way, which decides.
 */
function fourPartDecimal(text: string): ipaddr.IPv4 | undefined {
  const m = FOUR_PARTS.exec(text);
  if (m === null) return undefined;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return octets.every((o) => o <= 255) ? new ipaddr.IPv4(octets) : undefined;
}

/** The family of a parsed address. */
export function familyOf(ip: Ip): IpFamily {
  return ip.kind() === "ipv4" ? 4 : 6;
}

/** Parses an IP address, or returns `undefined` when `text` is not one. */
export function parseIp(text: string): Ip | undefined {
  const v4 = fourPartDecimal(text);
  if (v4 !== undefined) return v4;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const ip = ipaddr.IPv6.parse(text);
  return ip.zoneId === undefined ? ip : undefined;
}

/** Parses `address/prefix`, or returns `undefined` when `text` is not a CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const prefixText = text.slice(slash + 1);
  const v4 = slash < 0 ? undefined : fourPartDecimal(text.slice(0, slash));
  if (v4 !== undefined && /^(0|[1-9]\d?)$/.test(prefixText) && Number(prefixText) <= 32) {
    return { ip: v4, prefix: Number(prefixText) };
  }
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) {
    const [ip, prefix] = ipaddr.IPv4.parseCIDR(text);
    return { ip, prefix };
  }
  if (!ipaddr.IPv6.isValidCIDR(text)) return undefined;
  const [ip, prefix] = ipaddr.IPv6.parseCIDR(text);
  return ip.zoneId === undefined ? { ip, prefix } : undefined;
}

/**
 * The address as the kernel (and `ip`) prints it: IPv6 compressed and lower
 * case, IPv4-mapped IPv6 with a dotted tail.
 */
export function formatIp(ip: Ip): string {
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    return `::ffff:${(ip as ipaddr.IPv6).toIPv4Address().toString()}`;
  }
  return ip.toString();
}

/** `address/prefix` with the host part kept (how an interface address is written). */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.ip)}/${cidr.prefix}`;
}

/** The network of a CIDR: the host part zeroed (how the kernel stores a route destination). */
export function networkOf(cidr: Cidr): Cidr {
  const text = `${cidr.ip.toString()}/${cidr.prefix}`;
  const ip = familyOf(cidr.ip) === 4
    ? ipaddr.IPv4.networkAddressFromCIDR(text)
    : ipaddr.IPv6.networkAddressFromCIDR(text);
  return { ip, prefix: cidr.prefix };
}

/** Whether `ip` lies inside `cidr` (false across families). */
export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  return ip.kind() === cidr.ip.kind() && ip.match(cidr.ip, cidr.prefix);
}

/** Whether two addresses are the same (same family, same bytes). */
export function sameIp(a: Ip, b: Ip): boolean {
  return a.kind() === b.kind() && formatIp(a) === formatIp(b);
}

/**
 * Orders CIDR strings IPv4 first, then by address bytes, then by prefix length,
 * so `10.0.0.2/24` sorts before `10.0.0.10/24`. Strings that do not parse sort
 * last, by text.
 */
export function compareCidrs(a: string, b: string): number {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return x ? -1 : y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  const family = familyOf(x.ip) - familyOf(y.ip);
  if (family !== 0) return family;
  const xb = x.ip.toByteArray();
  const yb = y.ip.toByteArray();
  for (let i = 0; i < xb.length; i++) {
    const d = (xb[i] ?? 0) - (yb[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.prefix - y.prefix;
}
