/**
 * Address arithmetic the simulator needs: parsing a CIDR the way the kernel
 * takes it (host part kept), prefixes and containment.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

/** A parsed address with its prefix length. */
export interface Cidr {
  family: 4 | 6;
  /** The address as a number (32 or 128 bits). */
  value: bigint;
  prefix: number;
}

/** Parses `a.b.c.d/n` or `x::y/n`; `undefined` when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const addr = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits(addr.family)) return undefined;
  return { ...addr, prefix };
}

/** Parses a bare address (no prefix); `undefined` when it is not one. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = fourPartDecimal(text);
  if (v4 !== undefined) return { family: 4, value: BigInt(v4) };
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { family: 4, value: toBigint(ipaddr.IPv4.parse(text).toByteArray()) };
  }
  if (text.includes(":") && ipaddr.IPv6.isValid(text) && !text.includes("%")) {
    return { family: 6, value: toBigint(ipaddr.IPv6.parse(text).toByteArray()) };
  }
  return undefined;
}

const FOUR_PARTS = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/**
 * The common case without ipaddr.js, which dominated planning 100,000 objects: four decimal
 * parts without leading zeros, each at most 255, as a 32-bit number. Anything else (`undefined`)
 * goes the general way.
 */
function fourPartDecimal(text: string): number | undefined {
  const m = FOUR_PARTS.exec(text);
  if (m === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255) return undefined;
    value = value * 256 + part;
  }
  return value;
}

function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function toBigint(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const width = BigInt(bits(family));
  const all = (1n << width) - 1n;
  return prefix === 0 ? 0n : (all << (width - BigInt(prefix))) & all;
}

/** The address part as text (RFC 5952 for IPv6). */
export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    const n = Number(value & 0xffffffffn);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return (ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String();
}

/** `addr/prefix` with the host part kept, normalized. */
export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.value)}/${c.prefix}`;
}

/** The network of `c` (host bits cleared). */
export function network(c: Cidr): Cidr {
  return { ...c, value: c.value & mask(c.family, c.prefix) };
}

/** Whether `c` has host bits set beyond its prefix. */
export function hasHostBits(c: Cidr): boolean {
  return (c.value & ~mask(c.family, c.prefix)) !== 0n;
}

/** Whether `ip` (same family) lies in `net`. */
export function contains(net: Cidr, ip: { family: 4 | 6; value: bigint }): boolean {
  if (net.family !== ip.family) return false;
  const m = mask(net.family, net.prefix);
  return (net.value & m) === (ip.value & m);
}

/** Whether two addresses are the same IP (family and value). */
export function sameIp(a: { family: 4 | 6; value: bigint }, b: { family: 4 | 6; value: bigint }) {
  return a.family === b.family && a.value === b.value;
}
