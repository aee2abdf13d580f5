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
import { KERNEL_PROTOCOL, NETFORM_PROTOCOL, ownerOfAlias, ROOT_NAMESPACE } from "../model/names.ts";
import type { Address, HostState, Link, Route, Topology } from "../model/state.ts";
import { routeKey } from "./address.ts";
import type { StateObject } from "./state_objects.ts";

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

/**
 * An address on `lo` in the loopback range (127.0.0.0/8, ::1): it belongs to the namespace
 * itself, as `lo` does. The kernel adds 127.0.0.1/8 and ::1 when `lo` goes up, and the HOWTO
 * adds 127.0.0.1 by hand; nothing outside the namespace can use them.
 */
export function isLoopbackAddress(linkName: string, link: Link, address: Address): boolean {
  if (linkName !== "lo" || link.kind !== "loopback") return false;
  return address.cidr.startsWith("127.") || address.cidr === "::1/128";
}

/**
 * An object that this topology neither owns nor declares and that is not the kernel's own
 * (routes of protocol kernel come and go with addresses; `lo` and its loopback addresses belong
 * to their namespace). netform must not delete or change such an object, even as a side effect
 * of its own steps, unless the user allows it (`--allow-cascade-foreign`).
 */
export function isForeign(state: HostState, object: StateObject, desired: Topology): boolean {
  const topology = desired.name;
  const wanted = desired.namespaces[object.namespace];
  switch (object.type) {
    case "namespace":
      return object.namespace !== ROOT_NAMESPACE && wanted === undefined &&
        namespaceOwner(state, object.namespace, topology).kind !== "this";
    case "link":
      return object.name !== "lo" && wanted?.links[object.name] === undefined &&
        !ownsLink(object.link, topology);
    case "address":
      return !ownsAddress(object.address, object.link, topology) &&
        !isLoopbackAddress(object.name, object.link, object.address) &&
        !(wanted?.links[object.name]?.addresses.some((a) => a.cidr === object.address.cidr));
    case "route": {
      if (object.route.protocol === KERNEL_PROTOCOL) return false;
      const key = routeKey(object.route);
      return !ownsRoute(state, object.namespace, object.route, topology) &&
        !(wanted?.routes.some((r) => routeKey(r) === key));
    }
  }
}
