/**
 * Resource addresses: the stable identity of every object in a plan.
 *
 * @module
 */
import { tableName } from "../model/names.ts";
import type { Route } from "../model/state.ts";

export function namespaceAddress(namespace: string): string {
  return `namespace.${namespace}`;
}

export function linkAddress(namespace: string, name: string): string {
  return `link.${namespace}.${name}`;
}

export function addressAddress(namespace: string, link: string, cidr: string): string {
  return `address.${namespace}.${link}[${JSON.stringify(cidr)}]`;
}

/** `default` for a default route; the metric only when it is not the family's default. */
export function routeDestination(route: Pick<Route, "to" | "metric">): string {
  const isDefault = route.to === "0.0.0.0/0" || route.to === "::/0";
  const to = isDefault ? (route.to === "::/0" ? "default6" : "default") : route.to;
  const familyDefaultMetric = route.to.includes(":") ? 1024 : 0;
  return route.metric === familyDefaultMetric ? to : `${to} metric ${route.metric}`;
}

export function routeAddress(
  namespace: string,
  route: Pick<Route, "to" | "metric" | "table">,
): string {
  return `route.${namespace}.${tableName(route.table)}[${JSON.stringify(routeDestination(route))}]`;
}

/** The kernel's identity of a route within a namespace. */
export function routeKey(route: Pick<Route, "to" | "metric" | "table">): string {
  return `${route.table} ${route.to} ${route.metric}`;
}
