/**
 * What the kernel removes along with an object, so the planner deletes only
 * the roots (the namespace, the master, one veth end) and knows what must be
 * created again. Mirrors the kernel: a namespace takes its virtual links with
 * it; a master takes its ipvlan/macvlan slaves in every namespace; a veth end
 * takes its peer; a link takes its addresses and the routes through it.
 *
 * @module
 */
import type { HostState, LinkRef } from "../model/state.ts";
import { linkAddress, namespaceAddress } from "./address.ts";

/** `namespace/name` */
export type LinkKey = string;

export function linkKey(ref: LinkRef): LinkKey {
  return `${ref.namespace}/${ref.name}`;
}

/** Indexes of links that hang off other links, built once per observed state. */
export interface Dependents {
  /** Slaves (ipvlan, macvlan) of each lower device. */
  children: Map<LinkKey, LinkRef[]>;
  /** The other end of each veth. */
  peers: Map<LinkKey, LinkRef>;
}

export function indexDependents(state: HostState): Dependents {
  const children = new Map<LinkKey, LinkRef[]>();
  const peers = new Map<LinkKey, LinkRef>();
  for (const [namespace, ns] of Object.entries(state.namespaces)) {
    for (const [name, link] of Object.entries(ns.links)) {
      const ref = { namespace, name };
      if (link.kind === "ipvlan" || link.kind === "macvlan") {
        const key = linkKey(link.parent);
        const list = children.get(key);
        if (list) list.push(ref);
        else children.set(key, [ref]);
      } else if (link.kind === "veth") {
        peers.set(linkKey(ref), link.peer);
      }
    }
  }
  return { children, peers };
}

/** Removed links, each with the address of the root removal that takes it. */
export interface Removal {
  namespaces: Set<string>;
  links: Map<LinkKey, { ref: LinkRef; cause: string }>;
}

/**
 * The closure of removing `namespaces` and `links` from `state`. Roots are
 * visited namespaces first, then links in the order given, so a link that
 * another root takes with it is attributed to that root.
 */
export function cascade(
  state: HostState,
  dependents: Dependents,
  roots: { namespaces: readonly string[]; links: readonly LinkRef[] },
): Removal {
  const removal: Removal = { namespaces: new Set(), links: new Map() };
  const visit = (start: LinkRef, cause: string) => {
    const stack = [start];
    while (stack.length > 0) {
      const ref = stack.pop()!;
      const key = linkKey(ref);
      if (removal.links.has(key)) continue;
      const link = state.namespaces[ref.namespace]?.links[ref.name];
      if (!link) continue;
      removal.links.set(key, { ref, cause });
      for (const child of dependents.children.get(key) ?? []) stack.push(child);
      const peer = dependents.peers.get(key);
      if (peer) stack.push(peer);
    }
  };
  for (const namespace of roots.namespaces) {
    removal.namespaces.add(namespace);
    const cause = namespaceAddress(namespace);
    for (const [name, link] of Object.entries(state.namespaces[namespace]?.links ?? {})) {
      // Physical devices are not deleted with a namespace: the kernel returns them to root.
      if (link.kind !== "device") visit({ namespace, name }, cause);
    }
  }
  for (const ref of roots.links) visit(ref, linkAddress(ref.namespace, ref.name));
  return removal;
}
