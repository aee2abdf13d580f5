/**
 * Ordering of CIDR text the way the simulated driver orders it: family, then address value,
 * then prefix length.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

interface Key {
  family: 4 | 6;
  value: bigint;
  prefix: number;
}

/** Parsed keys of recently compared CIDRs: sorting compares each one many times. */
const keys = new Map<string, Key | undefined>();
const MAX_KEYS = 100_000;

function keyOf(cidr: string): Key | undefined {
  if (keys.has(cidr)) return keys.get(cidr);
  if (keys.size >= MAX_KEYS) keys.clear();
  const key = parseKey(cidr);
  keys.set(cidr, key);
  return key;
}

function parseKey(cidr: string): Key | undefined {
  const slash = cidr.indexOf("/");
  if (slash < 0) return undefined;
  const text = cidr.slice(0, slash);
  const prefix = Number(cidr.slice(slash + 1));
  if (!ipaddr.isValid(text) || !Number.isInteger(prefix)) return undefined;
  const ip = ipaddr.parse(text);
  let value = 0n;
  for (const b of ip.toByteArray()) value = (value << 8n) | BigInt(b);
  return { family: ip.kind() === "ipv4" ? 4 : 6, value, prefix };
}

/** Compares two CIDRs: family, address value, prefix length (text order when unparsable). */
export function compareCidr(a: string, b: string): number {
  const x = keyOf(a);
  const y = keyOf(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  return x.family - y.family || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0) ||
    x.prefix - y.prefix;
}
