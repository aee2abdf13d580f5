/**
 * Who owns what. The record of ownership lives on the kernel objects
 * themselves, so it survives a restart and needs no state file:
 * - a link is owned when its alias is `netform:<topology>`;
 * - a named namespace is owned when its `lo` carries that alias;
 * - an address or route is owned when its protocol is {@linkcode NETFORM_PROTOCOL}
 *   and it does not sit on a link or in a namespace another topology owns.
 *
 * @module
 */
import { NETFORM_PROTOCOL, ownerOfAlias, ROOT_NAMESPACE } from "../model/names.ts";
import type { Address, HostState, Link, Route } from "../model/state.ts";

export type Owner =
  | { kind: "this" }
  | { kind: "other"; topology: string }
  | { kind: "none" };

export function linkOwner(link: Link | undefined, topology: string): Owner {
  const owner = ownerOfAlias(link?.alias);
  if (owner === undefined) return { kind: "none" };
  return owner === topology ? { kind: "this" } : { kind: "other", topology: owner };
}

export function namespaceOwner(state: HostState, namespace: string, topology: string): Owner {
  if (namespace === ROOT_NAMESPACE) return { kind: "none" };
  return linkOwner(state.namespaces[namespace]?.links["lo"], topology);
}

export function ownsLink(link: Link | undefined, topology: string): boolean {
  return linkOwner(link, topology).kind === "this";
}

export function ownsAddress(address: Address, link: Link, topology: string): boolean {
  return address.protocol === NETFORM_PROTOCOL && linkOwner(link, topology).kind !== "other";
}

export function ownsRoute(
  state: HostState,
  namespace: string,
  route: Route,
  topology: string,
): boolean {
  if (route.protocol !== NETFORM_PROTOCOL) return false;
  if (namespaceOwner(state, namespace, topology).kind === "other") return false;
  const dev = route.dev === undefined ? undefined : state.namespaces[namespace]?.links[route.dev];
  return linkOwner(dev, topology).kind !== "other";
}
