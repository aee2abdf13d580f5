/**
 * A host state as a flat list of objects (namespaces, links, addresses, routes), each under
 * its key, with what it sits in: for comparing states object by object and for asking who
 * owns each one.
 *
 * @module
 */
import type { Address, HostState, Link, Route } from "../model/state.ts";
import { addressAddress, linkAddress, namespaceAddress, routeAddress } from "./address.ts";

/** One object of a host state, with what it sits in. */
export type StateObject =
  | { type: "namespace"; namespace: string }
  | { type: "link"; namespace: string; name: string; link: Link }
  | { type: "address"; namespace: string; name: string; link: Link; address: Address }
  | { type: "route"; namespace: string; route: Route };

/** Every object of `state` under its key (its plan address; a route's also names its device). */
export function* stateEntries(state: HostState): Generator<[string, StateObject]> {
  for (const [namespace, ns] of Object.entries(state.namespaces)) {
    yield [namespaceAddress(namespace), { type: "namespace", namespace }];
    for (const [name, link] of Object.entries(ns.links)) {
      yield [linkAddress(namespace, name), { type: "link", namespace, name, link }];
      for (const address of link.addresses) {
        yield [
          addressAddress(namespace, name, address.cidr),
          { type: "address", namespace, name, link, address },
        ];
      }
    }
    for (const route of ns.routes) {
      yield [routeObjectKey(namespace, route), {
        type: "route",
        namespace,
        route,
      }];
    }
  }
}

/** The kernel keeps routes to one prefix through two devices apart (two links in one subnet). */
export function routeObjectKey(namespace: string, route: Route): string {
  return routeAddress(namespace, route) + (route.dev !== undefined ? ` dev ${route.dev}` : "");
}
