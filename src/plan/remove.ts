/**
 * The observed state as it will be once the removals have run: what the
 * creates and updates of a plan start from.
 *
 * @module
 */
import type { HostState, Link, Namespace } from "../model/state.ts";
import type { Removal } from "./cascade.ts";

export function withoutRemoved(observed: HostState, removal: Removal): HostState {
  const namespaces: Record<string, Namespace> = {};
  for (const [name, ns] of Object.entries(observed.namespaces)) {
    if (removal.namespaces.has(name)) continue;
    const links: Record<string, Link> = {};
    for (const [linkName, link] of Object.entries(ns.links)) {
      const any = removal.links.size > 0;
      if (any && removal.links.has(`${name}/${linkName}`)) continue;
      const copy: Link = { ...link, addresses: [...link.addresses] };
      // A deleted bridge releases its ports.
      if (any && copy.master !== undefined && removal.links.has(`${name}/${copy.master}`)) {
        delete copy.master;
      }
      links[linkName] = copy;
    }
    // The kernel removes every route through a deleted link.
    const routes = ns.routes.filter((r) => r.dev === undefined || links[r.dev] !== undefined);
    namespaces[name] = { links, routes };
  }
  dropEmptyIpvlanPorts(namespaces);
  return observed.kernelRelease === undefined
    ? { namespaces }
    : { namespaces, kernelRelease: observed.kernelRelease };
}

/** A port disappears with its last slave, and its mode and flags with it. */
function dropEmptyIpvlanPorts(namespaces: Record<string, Namespace>): void {
  const masters = new Set<string>();
  for (const ns of Object.values(namespaces)) {
    for (const link of Object.values(ns.links)) {
      if (link.kind === "ipvlan") masters.add(`${link.parent.namespace}/${link.parent.name}`);
    }
  }
  for (const [name, ns] of Object.entries(namespaces)) {
    for (const [linkName, link] of Object.entries(ns.links)) {
      if (link.ipvlan && !masters.has(`${name}/${linkName}`)) delete link.ipvlan;
    }
  }
}
