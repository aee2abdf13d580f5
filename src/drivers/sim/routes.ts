/**
 * IPv4/IPv6 routing rules of the simulated kernel: the prefix routes the
 * kernel installs for addresses, the checks `RTM_NEWROUTE` makes and the
 * flushes that follow links and addresses going away.
 *
 * @module
 */
import type { Route, RouteScope } from "../../model/state.ts";
import { KERNEL_PROTOCOL, ROUTE_TABLES } from "../../model/names.ts";
import { kernelError } from "./errors.ts";
import {
  type Cidr,
  contains,
  formatCidr,
  formatIp,
  hasHostBits,
  network,
  parseCidr,
  parseIp,
} from "./ip.ts";
import type { SimLink, SimNamespace } from "./types.ts";

const MAIN = ROUTE_TABLES.main ?? 254;
const DEFAULT = ROUTE_TABLES.default ?? 253;
/** IP6_RT_PRIO_ADDRCONF: metric of IPv6 prefix routes. */
const IP6_RT_PRIO_ADDRCONF = 256;
/** IP6_RT_PRIO_USER: metric the kernel gives an IPv6 route sent with metric 0. */
const IP6_RT_PRIO_USER = 1024;

const SCOPE_NUMBER: Record<RouteScope, number> = { universe: 0, link: 253, host: 254 };

/** The prefix route the kernel installs for an address, or none. */
export function prefixRouteFor(link: SimLink, cidr: string): Route | undefined {
  const c = parseCidr(cidr);
  if (!c) return undefined;
  if (c.family === 4) {
    // fib_add_ifaddr: no prefix route for a /32, and lo's goes to table local.
    if (c.prefix === 32 || link.kind === "loopback") return undefined;
    return {
      to: formatCidr(network(c)),
      type: "unicast",
      dev: link.name,
      scope: "link",
      metric: 0,
      table: MAIN,
      src: formatIp(4, c.value),
      protocol: KERNEL_PROTOCOL,
    };
  }
  // addrconf_prefix_route, metric IP6_RT_PRIO_ADDRCONF. /128 is left out as the
  // model's convention (see the report: the real kernel may install one).
  if (c.prefix === 128) return undefined;
  return {
    to: formatCidr(network(c)),
    type: "unicast",
    dev: link.name,
    scope: "universe",
    metric: IP6_RT_PRIO_ADDRCONF,
    table: MAIN,
    protocol: KERNEL_PROTOCOL,
  };
}

function sameRoute(a: Route, b: Route): boolean {
  return a.table === b.table && a.to === b.to && a.metric === b.metric && a.dev === b.dev &&
    a.protocol === b.protocol && a.via === b.via && a.type === b.type;
}

/** Installs the prefix route for one address of an up link (fib_magic appends). */
export function installPrefixRoute(ns: SimNamespace, link: SimLink, cidr: string): void {
  if (!link.up) return;
  const route = prefixRouteFor(link, cidr);
  if (route && !ns.routes.some((r) => sameRoute(r, route))) ns.routes.push(route);
}

/** Installs the prefix routes of every address of `link` (NETDEV_UP). */
export function installPrefixRoutes(ns: SimNamespace, link: SimLink): void {
  for (const a of link.addresses) installPrefixRoute(ns, link, a.cidr);
}

/**
 * Removes every route through `dev`: NETDEV_DOWN runs fib_sync_down_dev for
 * IPv4 and fib6_ifdown for IPv6; unregistering does the same.
 */
export function flushRoutesVia(ns: SimNamespace, dev: string, family?: 4 | 6): void {
  ns.routes = ns.routes.filter((r) =>
    r.dev !== dev || (family !== undefined && familyOf(r) !== family)
  );
}

/**
 * After an address is deleted: its prefix route goes (fib_del_ifaddr), IPv4
 * routes using it as preferred source die (fib_sync_down_addr), and when it was
 * the link's last IPv4 address every IPv4 route through the link goes
 * (fib_inetaddr_event → fib_disable_ip).
 */
export function afterAddressDeleted(ns: SimNamespace, link: SimLink, cidr: string): void {
  const c = parseCidr(cidr);
  if (!c) return;
  const prefix = prefixRouteFor(link, cidr);
  const stillCovered = link.addresses.some((a) => {
    const other = prefixRouteFor(link, a.cidr);
    return other && prefix && other.to === prefix.to;
  });
  if (prefix && !stillCovered) ns.routes = ns.routes.filter((r) => !sameRoute(r, prefix));
  if (c.family === 4) {
    const ip = formatIp(4, c.value);
    ns.routes = ns.routes.filter((r) => r.src !== ip);
    if (!link.addresses.some((a) => parseCidr(a.cidr)?.family === 4)) {
      flushRoutesVia(ns, link.name, 4);
    }
  }
}

function familyOf(route: Route): 4 | 6 {
  return route.to.includes(":") ? 6 : 4;
}

/** The scope iproute2/libnl guess when none is given (rtnl_route_guess_scope). */
export function guessScope(route: Route): RouteScope {
  if (route.type !== "unicast") return "universe";
  return route.via ? "universe" : "link";
}

/**
 * A gateway must be an address of the route's family: RTA_GATEWAY of the other family does not
 * fit the request (the live driver refuses to build it), so it is refused before anything in the
 * namespace is looked at, for additions and deletions alike.
 */
function checkGateway(route: Route, family: 4 | 6, action: string) {
  if (route.via === undefined) return undefined;
  const gw = parseIp(route.via);
  if (!gw || gw.family !== family) {
    throw kernelError("EINVAL", action, `Invalid gateway "${route.via}"`);
  }
  return gw;
}

/** What the caller gives to `addRoute`: a namespace with a way to find links by name. */
export interface RouteContext {
  ns: SimNamespace;
  link(name: string): SimLink | undefined;
}

/**
 * Validates and inserts a route as RTM_NEWROUTE would, returning the route as
 * the kernel stores it (resolved device, default scope and IPv6 metric).
 */
export function addRoute(ctx: RouteContext, input: Route, replace: boolean, action: string): Route {
  const dst = parseCidr(input.to);
  if (!dst) throw kernelError("EINVAL", action, `Invalid destination "${input.to}"`);
  if (hasHostBits(dst)) {
    // fib_table_insert / fib6_add: the key must be a network address.
    throw kernelError("EINVAL", action, "Invalid prefix for given prefix length");
  }
  const route: Route = { ...input, to: formatCidr(dst) };
  const gw = checkGateway(input, dst.family, action);
  let dev: SimLink | undefined;
  if (route.dev !== undefined) {
    dev = ctx.link(route.dev);
    // rtm_to_fib_config / ip6_route_info_create: unknown RTA_OIF.
    if (!dev) throw kernelError("ENODEV", action);
  }
  if (route.type !== "unicast" && (dev || gw) && dst.family === 4) {
    throw kernelError(
      "EINVAL",
      action,
      "Gateway, device and multipath can not be specified for this route type",
    );
  }
  if (dst.family === 6) {
    // rt6_fill_node reports every IPv6 route with scope universe.
    route.scope = "universe";
    if (route.metric === 0) route.metric = IP6_RT_PRIO_USER;
  } else {
    route.scope = route.scope ?? guessScope(route);
  }
  if (route.type !== "unicast" && dst.family === 6) {
    // fib6_nh_init: a reject route (blackhole, unreachable, prohibit) is bound to the
    // namespace's loopback device, whatever device was given, and reported with it; the
    // gateway is not kept.
    route.dev = "lo";
    delete route.via;
  }
  if (route.type === "unicast") {
    const resolved = dst.family === 4
      ? checkNexthop4(ctx, route, dev, gw, action)
      : checkNexthop6(ctx, route, dev, gw, action);
    route.dev = resolved.name;
  }
  if (route.src !== undefined) checkPrefsrc(ctx, route, dst.family, dev, action);
  if (route.via !== undefined && gw) route.via = formatIp(gw.family, gw.value);

  const index = ctx.ns.routes.findIndex((r) =>
    r.table === route.table && r.to === route.to && r.metric === route.metric
  );
  if (index >= 0) {
    // fib_table_insert / fib6_add_rt2node with NLM_F_EXCL.
    if (!replace) throw kernelError("EEXIST", action);
    ctx.ns.routes[index] = route;
  } else {
    ctx.ns.routes.push(route);
  }
  return route;
}

/**
 * fib_check_nh: a device route needs its device up (fib_check_nh_nongw); a
 * gateway must resolve, in the route's table or by a full lookup, through a
 * unicast route (or a local address) of narrower scope, on the given device if
 * any (fib_check_nh_v4_gw).
 */
function checkNexthop4(
  ctx: RouteContext,
  route: Route,
  dev: SimLink | undefined,
  gw: { family: 4 | 6; value: bigint } | undefined,
  action: string,
): SimLink {
  if (!gw) {
    if (!dev) throw kernelError("ENODEV", action);
    if (route.scope === "host") return dev;
    if (!dev.up) throw kernelError("ENETDOWN", action, "Device for nexthop is not up");
    return dev;
  }
  if (route.scope === "host") {
    throw kernelError("EINVAL", action, "Route with host scope can not have a gateway");
  }
  const need = Math.max(SCOPE_NUMBER[route.scope ?? "universe"] + 1, SCOPE_NUMBER.link);
  // Table local first (the namespace's own addresses; local routes survive a
  // link going down), then the route's table, main and default.
  for (const link of ctx.ns.links) {
    if (dev && link !== dev) continue;
    for (const a of link.addresses) {
      const c = parseCidr(a.cidr);
      if (c && c.family === 4 && c.value === gw.value) return resolved(link, action);
    }
  }
  const tables = route.table !== MAIN ? [route.table, MAIN, DEFAULT] : [MAIN, DEFAULT];
  for (const table of tables) {
    let best: { route: Route; prefix: number } | undefined;
    for (const r of ctx.ns.routes) {
      if (r.table !== table || r.type !== "unicast" || r.dev === undefined) continue;
      if (SCOPE_NUMBER[r.scope ?? "universe"] < need) continue;
      if (dev && r.dev !== dev.name) continue;
      const net = parseCidr(r.to);
      if (!net || !contains(net, gw)) continue;
      if (!best || net.prefix > best.prefix) best = { route: r, prefix: net.prefix };
    }
    if (best) {
      const link = ctx.link(best.route.dev ?? "");
      if (link) return resolved(link, action);
    }
  }
  throw kernelError("ENETUNREACH", action, "Nexthop has invalid gateway");
}

function resolved(link: SimLink, action: string): SimLink {
  // fib_check_nh_v4_gw ends with `(dev->flags & IFF_UP) ? 0 : -ENETDOWN`.
  if (!link.up) throw kernelError("ENETDOWN", action);
  return link;
}

/**
 * fib6_nh_init / ip6_validate_gw: the device must be up; a gateway must be
 * link-local on the given device or covered by a route through it.
 */
function checkNexthop6(
  ctx: RouteContext,
  route: Route,
  dev: SimLink | undefined,
  gw: { family: 4 | 6; value: bigint } | undefined,
  action: string,
): SimLink {
  let out = dev;
  if (gw) {
    const linkLocal = (gw.value >> 118n) === 0x3fan; // fe80::/10
    if (linkLocal) {
      if (!dev) throw kernelError("EINVAL", action, "Egress device not specified");
    } else {
      let best: { route: Route; prefix: number } | undefined;
      for (const r of ctx.ns.routes) {
        if (r.type !== "unicast" || r.dev === undefined || r.via !== undefined) continue;
        if (r.table !== route.table && r.table !== MAIN) continue;
        if (dev && r.dev !== dev.name) continue;
        const net: Cidr | undefined = parseCidr(r.to);
        if (!net || !contains(net, gw)) continue;
        if (!best || net.prefix > best.prefix) best = { route: r, prefix: net.prefix };
      }
      // ip6_route_check_nh starts from -EHOSTUNREACH (IPv4's fib_check_nh says ENETUNREACH).
      if (!best) throw kernelError("EHOSTUNREACH", action);
      out = ctx.link(best.route.dev ?? "");
    }
  }
  if (!out) throw kernelError("ENODEV", action);
  if (!out.up) throw kernelError("ENETDOWN", action, "Nexthop device is not up");
  return out;
}

/** fib_valid_prefsrc / ipv6_chk_addr: the preferred source must be a local address. */
function checkPrefsrc(
  ctx: RouteContext,
  route: Route,
  family: 4 | 6,
  dev: SimLink | undefined,
  action: string,
): void {
  const src = parseIp(route.src ?? "");
  const local = src && src.family === family &&
    ctx.ns.links.some((l) =>
      (family === 4 || !dev || l === dev) &&
      l.addresses.some((a) => {
        const c = parseCidr(a.cidr);
        return c !== undefined && c.family === src.family && c.value === src.value;
      })
    );
  if (!local || !src) {
    throw kernelError(
      "EINVAL",
      action,
      family === 4 ? "Invalid prefsrc address" : "Invalid source address",
    );
  }
  route.src = formatIp(src.family, src.value);
}

/**
 * RTM_DELROUTE: the route with this table and destination whose metric, device
 * and gateway match where given (metric 0 matches any: fib_table_delete,
 * ip6_route_del). Missing → ESRCH.
 */
export function deleteRoute(ns: SimNamespace, input: Route, action: string): void {
  const dst = parseCidr(input.to);
  if (!dst) throw kernelError("EINVAL", action, `Invalid destination "${input.to}"`);
  const to = formatCidr(dst);
  const gw = checkGateway(input, dst.family, action);
  // The device is named in the request by ifindex, so it must exist (`ip route del … dev X`).
  if (input.dev !== undefined && !ns.links.some((l) => l.name === input.dev)) {
    throw kernelError("ENODEV", action);
  }
  const via = gw ? formatIp(gw.family, gw.value) : input.via;
  const candidates = ns.routes
    .map((r, i) => ({ r, i }))
    .filter(({ r }) =>
      r.table === input.table && r.to === to &&
      (input.metric === 0 || r.metric === input.metric) &&
      (input.dev === undefined || r.dev === input.dev) &&
      (via === undefined || r.via === via)
    )
    .sort((a, b) => a.r.metric - b.r.metric);
  const hit = candidates[0];
  if (!hit) throw kernelError("ESRCH", action);
  ns.routes.splice(hit.i, 1);
}
