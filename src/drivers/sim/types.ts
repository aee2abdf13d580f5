/**
 * The simulated kernel's own state: what a Linux kernel keeps per network
 * namespace, closer to `struct net_device` than to the model's `HostState`.
 * Plain JSON data, so a snapshot is this object with a version number.
 *
 * @module
 */
import type { Address, IpvlanFlag, IpvlanMode, MacvlanMode, Route } from "../../model/state.ts";

/**
 * Kinds of device the simulator knows. `device` is a physical NIC (no
 * IFLA_INFO_KIND); `loopback` is each namespace's `lo`.
 */
export const SIM_LINK_KINDS = [
  "loopback",
  "device",
  "dummy",
  "bridge",
  "ipvlan",
  "macvlan",
  "veth",
] as const;
export type SimLinkKind = typeof SIM_LINK_KINDS[number];

/** A device named by namespace and ifindex, as the kernel links devices (IFLA_LINK + netnsid). */
export interface DevRef {
  namespace: string;
  ifindex: number;
}

/**
 * An ipvlan port (`struct ipvl_port`): lives on the master and holds the mode
 * and flags every slave reports.
 */
export interface IpvlanPortState {
  mode: IpvlanMode;
  flags: IpvlanFlag;
  /** Next `dev_id` handed to a new slave (`port->dev_id_start`). */
  nextDevId: number;
}

/** One network device. */
export interface SimLink {
  ifindex: number;
  name: string;
  kind: SimLinkKind;
  /** `device` only: IFLA_INFO_KIND of a kind netform does not model (ifb, vxlan, …). */
  type?: string;
  mac: string;
  mtu: number;
  up: boolean;
  /** IFF_NOARP; the driver sets it on ipvlan slaves in l3/l3s. */
  noarp: boolean;
  alias?: string;
  /** Ifindex of the bridge this link is a port of (same namespace). */
  master?: number;
  /** Bridges: the MTU was set explicitly, so ports no longer adjust it. */
  mtuSetByUser?: boolean;
  /**
   * No IPv4 config (in_device): an MTU change below 68 destroyed it, and only an MTU change back
   * re-creates it. A device *created* with a small MTU keeps its IPv4 config.
   */
  noInet?: boolean;
  /** ipvlan, macvlan: the lower device, possibly in another namespace. */
  parent?: DevRef;
  /** veth: the other end. */
  peer?: DevRef;
  macvlanMode?: MacvlanMode;
  /** ipvlan slaves: `ipvl_dev->dev_id`. */
  devId?: number;
  /** Present on a device that is an ipvlan master (has a port). */
  ipvlanPort?: IpvlanPortState;
  addresses: Address[];
}

/** One network namespace. */
export interface SimNamespace {
  /** Next ifindex to hand out (`dev_new_index`); `lo` is always 1. */
  nextIfindex: number;
  links: SimLink[];
  /** Every route except table local, which the model leaves out. */
  routes: Route[];
}

/** Everything the simulated kernel holds. */
export interface SimState {
  namespaces: Record<string, SimNamespace>;
  /** Sequence for generated MAC addresses, so they are deterministic. */
  macSeq: number;
  /**
   * The release of the kernel this state was captured from; absent for a simulated host,
   * which behaves as `DEFAULT_SIMULATED_RELEASE`.
   */
  kernelRelease?: string;
}
