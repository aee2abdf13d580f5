/**
 * Route defaults and canonical forms, shared by normalization and by the
 * duplicate-route check (which must compare routes as the kernel will).
 *
 * @module
 */
import { NETFORM_PROTOCOL, ROUTE_TABLES } from "../model/names.ts";
import type { Route } from "../model/state.ts";
import {
  type Cidr,
  familyOf,
  formatCidr,
  formatIp,
  type IpFamily,
  networkOf,
  parseCidr,
  parseIp,
} from "./ip.ts";
import type { RouteInput } from "./topology.ts";

/** The kernel's default metric: 0 for IPv4, 1024 for IPv6 (IP6_RT_PRIO_USER). */
export function defaultMetric(family: IpFamily): number {
  return family === 4 ? 0 : 1024;
}

/**
 * The family of a route: its destination's, or for `"default"` its gateway's
 * or source's, else IPv4 (`"default"` means `0.0.0.0/0`, as for `ip route`).
 */
export function routeFamily(route: RouteInput): IpFamily {
  const to = parseDestination(route.to);
  if (to) return familyOf(to.ip);
  for (const text of [route.via, route.src]) {
    const ip = text === undefined ? undefined : parseIp(text);
    if (ip) return familyOf(ip);
  }
  return 4;
}

/**
 * Parses a destination as written: a CIDR, or a bare address (a host route).
 * Returns `undefined` for `"default"` and for text that is neither.
 */
export function parseDestination(to: string): Cidr | undefined {
  const cidr = parseCidr(to);
  if (cidr) return cidr;
  const ip = parseIp(to);
  return ip ? { ip, prefix: familyOf(ip) === 4 ? 32 : 128 } : undefined;
}

/**
 * The destination as the kernel stores it: the network address
 * (`"10.1.2.3/16"` → `"10.1.0.0/16"`, `"10.1.1.1"` → `"10.1.1.1/32"`,
 * `"default"` → `"0.0.0.0/0"` or `"::/0"`), or `undefined` when invalid.
 */
export function canonicalDestination(route: RouteInput): string | undefined {
  if (route.to === "default") return routeFamily(route) === 4 ? "0.0.0.0/0" : "::/0";
  const cidr = parseDestination(route.to);
  return cidr ? formatCidr(networkOf(cidr)) : undefined;
}

/** A table name or number as a number (`main` = 254, the default). */
export function tableNumber(table: RouteInput["table"]): number {
  if (table === undefined) return ROUTE_TABLES.main!;
  return typeof table === "number" ? table : ROUTE_TABLES[table]!;
}

/** The kernel's identity of a route in a namespace: table, destination and metric. */
export interface RouteIdentity {
  table: number;
  to: string;
  metric: number;
}

/** The identity of a route, or `undefined` when its destination is invalid. */
export function routeIdentity(route: RouteInput): RouteIdentity | undefined {
  const to = canonicalDestination(route);
  if (to === undefined) return undefined;
  return {
    table: tableNumber(route.table),
    to,
    // IPv6 stores metric 0 as IP6_RT_PRIO_USER (ip6_route_info_create), so 0 means 1024 there.
    metric: route.metric || defaultMetric(routeFamily(route)),
  };
}

/** Normalizes a route of a validated manifest (throws on an invalid one). */
export function normalizeRoute(route: RouteInput): Route {
  const identity = routeIdentity(route);
  if (!identity) throw new TypeError(`normalizeRoute: invalid destination "${route.to}"`);
  const out: Route = {
    to: identity.to,
    type: route.type ?? "unicast",
    metric: identity.metric,
    table: identity.table,
    protocol: NETFORM_PROTOCOL,
  };
  if (route.via !== undefined) out.via = canonicalIp(route.via);
  if (route.dev !== undefined) out.dev = route.dev;
  if (route.scope !== undefined) out.scope = route.scope;
  if (route.src !== undefined) out.src = canonicalIp(route.src);
  return out;
}

function canonicalIp(text: string): string {
  const ip = parseIp(text);
  if (!ip) throw new TypeError(`normalizeRoute: invalid address "${text}"`);
  return formatIp(ip);
}
