/**
 * Route checks: syntax, families, the gateway and source rules the kernel
 * enforces when the route is added, and duplicate identities.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import { tableName } from "../model/names.ts";
import {
  type Cidr,
  cidrContains,
  familyOf,
  formatCidr,
  type Ip,
  type IpFamily,
  parseCidr,
  parseIp,
  sameIp,
} from "./ip.ts";
import { parseDestination, routeFamily, routeIdentity } from "./normalize_route.ts";
import { formatPath } from "./schema_issues.ts";
import type { NamespaceInput, RouteInput, TopologyInput } from "./topology.ts";

/** IPv6 link-local unicast: every link has one, so such a gateway only needs `dev`. */
const IPV6_LINK_LOCAL = parseCidr("fe80::/10")!;

/** Checks the routes of a schema-valid manifest. */
export function checkRoutes(input: TopologyInput): ManifestIssue[] {
  return Object.entries(input.namespaces).flatMap(([namespace, ns]) =>
    checkNamespaceRoutes(namespace, ns)
  );
}

/** An address declared on a link of the namespace (`cidr` undefined when it does not parse). */
interface Connected {
  link: string;
  cidr: Cidr | undefined;
}

function checkNamespaceRoutes(namespace: string, ns: NamespaceInput): ManifestIssue[] {
  const connected: Connected[] = Object.entries(ns.links ?? {}).flatMap(([link, l]) =>
    (l.addresses ?? []).map((text) => ({ link, cidr: parseCidr(text) }))
  );
  const issues: ManifestIssue[] = [];
  const seen = new Map<string, number>();
  (ns.routes ?? []).forEach((route, index) => {
    const at = (key?: string) =>
      formatPath(["namespaces", namespace, "routes", index, ...(key ? [key] : [])]);
    issues.push(...checkRoute(route, { namespace, ns, connected, at }));
    const identity = routeIdentity(route);
    if (!identity) return;
    const key = `${identity.table} ${identity.to} ${identity.metric}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, index);
      return;
    }
    issues.push({
      path: at(),
      message: `Route to "${identity.to}" duplicates routes[${first}]: same table "${
        tableName(identity.table)
      }", destination and metric ${identity.metric}`,
      hint: "remove one of them, or give them different metrics",
    });
  });
  return issues;
}

interface RouteContext {
  namespace: string;
  ns: NamespaceInput;
  connected: Connected[];
  at: (key?: string) => string;
}

function checkRoute(route: RouteInput, ctx: RouteContext): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const { at } = ctx;
  if (route.to !== "default" && !parseDestination(route.to)) {
    issues.push({
      path: at("to"),
      message: `Destination "${route.to}" is not "default", a CIDR or an IP address`,
      hint: `write "default", "::/0", "10.1.0.0/16" or "fd00:1::/64"`,
    });
  }
  const family = routeFamily(route);
  const via = parseAddress(route, "via", family, issues, at);
  const src = parseAddress(route, "src", family, issues, at);
  const type = route.type ?? "unicast";
  if (route.dev !== undefined && !Object.hasOwn(ctx.ns.links ?? {}, route.dev)) {
    issues.push({
      path: at("dev"),
      message: `Device "${route.dev}" is not declared in namespace "${ctx.namespace}"`,
      hint: `name a link declared under namespaces.${ctx.namespace}.links`,
    });
  }
  if (type !== "unicast") {
    for (const key of ["via", "dev"] as const) {
      if (route[key] === undefined) continue;
      issues.push({
        path: at(key),
        message: `A ${type} route takes no ${key}`,
        hint: `remove ${key}, or make it a unicast route`,
      });
    }
  } else if (route.via === undefined && route.dev === undefined) {
    issues.push({
      path: at(),
      message: `Route to "${route.to}" has neither via nor dev`,
      hint: `add a gateway (via) or an outgoing link (dev), or set type "blackhole"`,
    });
  }
  if (via && type === "unicast") issues.push(...checkGateway(route, via, ctx));
  if (src && !ctx.connected.some((c) => c.cidr && sameIp(c.cidr.ip, src))) {
    issues.push({
      path: at("src"),
      message:
        `Source ${route.src} is not an address of any link in namespace "${ctx.namespace}"; the kernel refuses it: Invalid prefsrc address`,
      hint: "add the address to a link in this namespace, or remove src",
    });
  }
  return issues;
}

/** Parses `via` or `src` and checks its family; pushes issues and returns the address if usable. */
function parseAddress(
  route: RouteInput,
  key: "via" | "src",
  family: IpFamily,
  issues: ManifestIssue[],
  at: (key?: string) => string,
): Ip | undefined {
  const text = route[key];
  if (text === undefined) return undefined;
  const ip = parseIp(text);
  if (!ip) {
    issues.push({
      path: at(key),
      message: `${key === "via" ? "Gateway" : "Source"} "${text}" is not an IP address`,
      hint: `write an address without a prefix length, such as "10.0.0.1" or "fd00::1"`,
    });
    return undefined;
  }
  if (familyOf(ip) !== family) {
    issues.push({
      path: at(key),
      message: `${key === "via" ? "Gateway" : "Source"} ${text} is IPv${
        familyOf(ip)
      } but the route is IPv${family}`,
      hint: `use an IPv${family} address, or an IPv${familyOf(ip)} destination`,
    });
    return undefined;
  }
  return ip;
}

/**
 * The kernel looks the gateway up among the connected routes of the
 * namespace (of `dev` when given) and refuses the route when none covers
 * it: "Nexthop has invalid gateway". A gateway that is a local address is
 * refused too.
 */
function checkGateway(route: RouteInput, via: Ip, ctx: RouteContext): ManifestIssue[] {
  const path = ctx.at("via");
  if (route.scope === "host" || (route.scope === "link" && familyOf(via) === 4)) {
    return [{
      path,
      message: `A route with scope "${route.scope}" cannot have a gateway`,
      hint: "remove scope (a gateway route has scope universe), or remove via",
    }];
  }
  if (ctx.connected.some((c) => c.cidr && sameIp(c.cidr.ip, via))) {
    return [{
      path,
      message:
        `Gateway ${route.via} is an address of this namespace; the kernel refuses it: Gateway can not be a local address`,
      hint: "use the address of the next router as the gateway",
    }];
  }
  if (cidrContains(IPV6_LINK_LOCAL, via)) {
    return route.dev !== undefined ? [] : [{
      path,
      message: `Gateway ${route.via} is link-local, so the route needs dev`,
      hint: "add dev: the link the gateway is reached on",
    }];
  }
  // An undeclared dev or an address that does not parse is reported on its
  // own; judging the gateway without them would only add a confusing issue.
  if (route.dev !== undefined && !Object.hasOwn(ctx.ns.links ?? {}, route.dev)) return [];
  const candidates = ctx.connected.filter((c) => route.dev === undefined || c.link === route.dev);
  if (candidates.some((c) => !c.cidr || cidrContains(c.cidr, via))) return [];
  const where = route.dev === undefined
    ? `any subnet connected in namespace "${ctx.namespace}"`
    : `any subnet of "${route.dev}"`;
  const subnets = candidates.flatMap((c) =>
    c.cidr && familyOf(c.cidr.ip) === familyOf(via) ? [formatCidr(c.cidr)] : []
  );
  return [{
    path,
    message:
      `Gateway ${route.via} is not inside ${where}; the kernel refuses it: Nexthop has invalid gateway`,
    hint: subnets.length > 0
      ? `use a gateway in ${subnets.join(", ")}, or add an address in the gateway's subnet`
      : `add an address in the gateway's subnet to ${route.dev ?? "a link in this namespace"}`,
  }];
}
