/**
 * Kernel operations: the closed set of changes a driver executes. A plan's
 * steps are operations, so a saved plan is everything `apply` needs, and the
 * journal of an apply is a list of them.
 *
 * Every operation is one netlink request on the live driver (a veth pair is one
 * request that creates both ends).
 *
 * @module
 */
import type { IpvlanPort, LinkRef, MacvlanMode, Route, VirtualLinkKind } from "./state.ts";

/** The attributes a new link is created with, in the namespace it is created in. */
export interface LinkSpec {
  namespace: string;
  name: string;
  kind: VirtualLinkKind;
  up: boolean;
  mtu?: number;
  alias?: string;
  master?: string;
  /** ipvlan, macvlan: the lower device, which may be in another namespace. */
  parent?: LinkRef;
  /** ipvlan: the port mode and flags, always sent together. */
  ipvlan?: IpvlanPort;
  /** macvlan */
  macvlanMode?: MacvlanMode;
  /** veth: the other end, created by the same request. */
  peer?: Omit<LinkSpec, "kind" | "peer" | "parent" | "ipvlan" | "macvlanMode">;
}

/** Attributes changed in place on an existing link; absent means unchanged. */
export interface LinkChanges {
  up?: boolean;
  mtu?: number;
  /** `null` removes the alias. */
  alias?: string | null;
  /** `null` releases the link from its bridge. */
  master?: string | null;
  /** Port-wide: sent on any slave of the port, changes all of them. */
  ipvlan?: IpvlanPort;
  macvlanMode?: MacvlanMode;
}

export type Operation =
  | { op: "namespace.create"; namespace: string }
  | { op: "namespace.delete"; namespace: string }
  | { op: "link.create"; link: LinkSpec }
  | { op: "link.update"; namespace: string; name: string; changes: LinkChanges }
  | { op: "link.delete"; namespace: string; name: string }
  /** `replace` re-marks an existing identical address (NLM_F_REPLACE) instead of failing. */
  | {
    op: "address.add";
    namespace: string;
    link: string;
    cidr: string;
    protocol: number;
    replace?: boolean;
  }
  | { op: "address.delete"; namespace: string; link: string; cidr: string }
  /** `replace` updates an existing route with the same identity in place. */
  | { op: "route.add"; namespace: string; route: Route; replace?: boolean }
  | { op: "route.delete"; namespace: string; route: Route };

export type OperationName = Operation["op"];
