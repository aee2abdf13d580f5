/**
 * The part of a host a topology sees: what a saved plan's fingerprint covers
 * and what a rollback is checked against. Churn outside it (another tool's
 * namespace, a DHCP lease on a NIC the topology does not name) neither makes a
 * saved plan stale nor a rollback "wrong".
 *
 * In scope:
 * - every namespace the topology declares or owns, whole (links with all their
 *   attributes, addresses, routes): the planner looks inside them;
 * - in the root namespace (the host's own), only the links the topology
 *   declares or owns, the routes through them, the routes netform marked, and
 *   the routes with the identity of one the topology declares;
 * - anywhere, links wired to a link in scope (a slave on it, its veth peer,
 *   a port of it), because the planner's cascades and refusals depend on them.
 *
 * @module
 */
import { NETFORM_PROTOCOL, ROOT_NAMESPACE } from "../model/names.ts";
import type { HostState, Link, Namespace, Topology } from "../model/state.ts";
import { routeKey } from "../plan/address.ts";
import { linkOwner, namespaceOwner } from "../plan/ownership.ts";

/** What decides the scope: the topology's name and what it declares. Plain data, saved with records. */
export interface ScopeSpec {
  topology: string;
  /** Named namespaces the topology declares. */
  namespaces: string[];
  /** Links the topology declares in the root namespace. */
  rootLinks: string[];
  /** Identities (`routeKey`) of the routes it declares in the root namespace. */
  rootRoutes: string[];
}

export function scopeSpecOf(desired: Topology): ScopeSpec {
  const root = desired.namespaces[ROOT_NAMESPACE];
  return {
    topology: desired.name,
    namespaces: Object.keys(desired.namespaces).filter((n) => n !== ROOT_NAMESPACE).sort(),
    rootLinks: Object.keys(root?.links ?? {}).sort(),
    rootRoutes: (root?.routes ?? []).map(routeKey).sort(),
  };
}

/** The part of `state` that `spec` sees. */
export function scopedState(state: HostState, spec: ScopeSpec): HostState {
  const whole = new Set<string>();
  for (const namespace of Object.keys(state.namespaces)) {
    if (namespace === ROOT_NAMESPACE) continue;
    if (
      spec.namespaces.includes(namespace) ||
      namespaceOwner(state, namespace, spec.topology).kind === "this"
    ) whole.add(namespace);
  }
  const inScope = new Set<string>();
  for (const namespace of whole) {
    for (const name of Object.keys(state.namespaces[namespace]!.links)) {
      inScope.add(`${namespace}/${name}`);
    }
  }
  const rootLinks = state.namespaces[ROOT_NAMESPACE]?.links ?? {};
  for (const [name, link] of Object.entries(rootLinks)) {
    if (spec.rootLinks.includes(name) || linkOwner(link, spec.topology).kind === "this") {
      inScope.add(`${ROOT_NAMESPACE}/${name}`);
    }
  }
  // Links wired to links in scope, until nothing more joins.
  for (let grew = true; grew;) {
    grew = false;
    for (const [namespace, ns] of Object.entries(state.namespaces)) {
      for (const [name, link] of Object.entries(ns.links)) {
        const key = `${namespace}/${name}`;
        const wired = wiredTo(namespace, link);
        const joins = inScope.has(key)
          ? wired.filter((w) => !inScope.has(w))
          : wired.some((w) => inScope.has(w))
          ? [key]
          : [];
        for (const k of joins) {
          const slash = k.indexOf("/");
          if (state.namespaces[k.slice(0, slash)]?.links[k.slice(slash + 1)]) {
            inScope.add(k);
            grew = true;
          }
        }
      }
    }
  }

  const namespaces: Record<string, Namespace> = {};
  for (const [namespace, ns] of Object.entries(state.namespaces)) {
    if (whole.has(namespace)) {
      namespaces[namespace] = ns;
      continue;
    }
    const links = Object.fromEntries(
      Object.entries(ns.links).filter(([name]) => inScope.has(`${namespace}/${name}`)),
    );
    const routes = ns.routes.filter((r) =>
      (r.dev !== undefined && inScope.has(`${namespace}/${r.dev}`)) ||
      (namespace === ROOT_NAMESPACE &&
        (r.protocol === NETFORM_PROTOCOL || spec.rootRoutes.includes(routeKey(r))))
    );
    if (namespace === ROOT_NAMESPACE || Object.keys(links).length > 0 || routes.length > 0) {
      namespaces[namespace] = { links, routes };
    }
  }
  return state.kernelRelease === undefined
    ? { namespaces }
    : { namespaces, kernelRelease: state.kernelRelease };
}

/** Keys of the links `link` points at: its parent, peer and bridge. */
function wiredTo(namespace: string, link: Link): string[] {
  const out: string[] = [];
  if (link.kind === "ipvlan" || link.kind === "macvlan") {
    out.push(`${link.parent.namespace}/${link.parent.name}`);
  }
  if (link.kind === "veth") out.push(`${link.peer.namespace}/${link.peer.name}`);
  if (link.master !== undefined) out.push(`${namespace}/${link.master}`);
  return out;
}
