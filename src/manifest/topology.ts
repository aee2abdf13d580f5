/**
 * The typed helper manifests are written with. It does nothing at run time but
 * hand its argument back; its types make a typo in a kind, mode or flag a
 * compile error in the manifest. Everything else is checked by `validate`.
 *
 * @module
 */
import type { IpvlanFlag, IpvlanMode, MacvlanMode, RouteScope, RouteType } from "../model/state.ts";

/**
 * A link in another namespace is named `"<namespace>/<link>"` (`"root/eth0"`);
 * a bare `"eth0"` means the namespace the reference is written in.
 */
export type LinkReference = string;

/** Attributes every link accepts. */
export interface LinkCommonInput {
  /** Administrative state. Default: `true`, except on `existing` links, where leaving it out leaves it alone. */
  up?: boolean;
  /** MTU in bytes (68 to 65535). Left alone when not given. */
  mtu?: number;
  /** Bridge (in the same namespace) this link is a port of. */
  master?: string;
  /** Addresses as CIDRs with the host part: `"10.0.0.2/24"`, `"fd00::2/64"`. */
  addresses?: readonly string[];
  /**
   * ipvlan port settings, given on the *master*. The kernel keeps mode and
   * flags per master, so all its slaves share them; declaring them here makes
   * disagreeing slaves impossible. Default when a link has ipvlan slaves:
   * `{ mode: "l3", flags: "bridge" }` (the kernel's default).
   */
  ipvlan?: { mode?: IpvlanMode; flags?: IpvlanFlag };
}

/** A link netform references but never creates or deletes (a NIC such as eth0). */
export interface ExistingLinkInput extends LinkCommonInput {
  kind: "existing";
}
/** `lo`; exists in every namespace. */
export interface LoopbackLinkInput extends LinkCommonInput {
  kind: "loopback";
}
export interface DummyLinkInput extends LinkCommonInput {
  kind: "dummy";
}
export interface BridgeLinkInput extends LinkCommonInput {
  kind: "bridge";
}
/** An ipvlan slave; mode and flags are set on its parent (see {@linkcode LinkCommonInput.ipvlan}). */
export interface IpvlanLinkInput extends LinkCommonInput {
  kind: "ipvlan";
  parent: LinkReference;
}
export interface MacvlanLinkInput extends LinkCommonInput {
  kind: "macvlan";
  parent: LinkReference;
  /** Default: `"bridge"`. (The kernel's own default is vepa; bridge is what users mean.) */
  mode?: MacvlanMode;
}
/** One end of a veth pair; the other end is declared too and names this one as its peer. */
export interface VethLinkInput extends LinkCommonInput {
  kind: "veth";
  peer: LinkReference;
}

export type LinkInput =
  | ExistingLinkInput
  | LoopbackLinkInput
  | DummyLinkInput
  | BridgeLinkInput
  | IpvlanLinkInput
  | MacvlanLinkInput
  | VethLinkInput;

export interface RouteInput {
  /** `"default"` (IPv4), `"::/0"`, or a CIDR such as `"10.1.0.0/16"`. */
  to: string;
  /** Gateway; must lie on a subnet connected in this namespace. */
  via?: string;
  /** Outgoing link in this namespace. */
  dev?: string;
  /** Default: the kernel's guess (universe with a gateway, link without). */
  scope?: RouteScope;
  /** Default: 0 for IPv4, 1024 for IPv6 (the kernel's defaults). */
  metric?: number;
  /** `"main"` (default), `"local"`, `"default"` or a number 1..2^32-1. */
  table?: "main" | "local" | "default" | number;
  /** Preferred source address. */
  src?: string;
  /** Default: `"unicast"`. */
  type?: RouteType;
}

export interface NamespaceInput {
  links?: Readonly<Record<string, LinkInput>>;
  routes?: readonly RouteInput[];
}

export interface TopologyInput {
  /** Names the topology; written on every object it owns, so pick one per host and keep it. */
  name: string;
  /** `root` is the host's own namespace; every other key is a named namespace (`ip netns`). */
  namespaces: Readonly<Record<string, NamespaceInput>>;
}

/**
 * Declares a topology. A manifest's default export is the value this returns.
 * Misspelled kinds, modes, flags and keys are compile errors (excess property checks).
 *
 * @example
 * ```ts
 * import { topology } from "../../mod.ts";
 *
 * export default topology({
 *   name: "demo",
 *   namespaces: {
 *     root: { links: { eth0: { kind: "existing", ipvlan: { mode: "l2" } } } },
 *     ns0: { links: { ipvl0: { kind: "ipvlan", parent: "root/eth0", addresses: ["10.0.0.2/24"] } } },
 *   },
 * });
 * ```
 */
export function topology(input: TopologyInput): TopologyInput {
  return input;
}
