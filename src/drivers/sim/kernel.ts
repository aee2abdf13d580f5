/**
 * `SimKernel`: an in-memory Linux network stack that performs netform's
 * operations with the kernel's rules and errors (6.1 semantics), so plans can
 * be applied without root. State is plain data and fully deterministic.
 *
 * @module
 */
import { marksIPv4AddressInPlace } from "../../model/kernel_release.ts";
import type { LinkChanges, LinkSpec, Operation } from "../../model/operations.ts";
import type { Address, IpvlanPort, MacvlanMode, Route } from "../../model/state.ts";
import {
  byteLength,
  hasNameTemplate,
  kernelNameProblem,
  ROOT_NAMESPACE,
} from "../../model/names.ts";
import { kernelError } from "./errors.ts";
import { contains, formatCidr, parseCidr, sameIp } from "./ip.ts";
import {
  addRoute,
  afterAddressDeleted,
  deleteRoute,
  flushRoutesVia,
  installPrefixRoute,
  installPrefixRoutes,
} from "./routes.ts";
import type { DevRef, SimLink, SimNamespace, SimState } from "./types.ts";

/** IFALIASZ - 1: the longest alias the IFLA_IFALIAS policy accepts. */
const MAX_ALIAS_BYTES = 255;
const MIN_MTU = 68;
/** IPV6_MIN_MTU: below it a device has no IPv6. */
const IPV6_MIN_MTU = 1280;
const MAX_MTU = 65535;
/** ETH_DATA_LEN: default MTU of Ethernet-like virtual devices. */
const DEFAULT_MTU = 1500;
/** MTU of `lo` (loopback_setup). */
export const LOOPBACK_MTU = 65536;
/** IFAPROT_KERNEL_LO: protocol addrconf gives `::1`. */
const IFAPROT_KERNEL_LO = 1;

const ZERO_MAC = "00:00:00:00:00:00";

/** is_valid_ether_addr: neither multicast nor all zeros. */
function isValidEtherAddr(mac: string): boolean {
  return mac !== ZERO_MAC && (parseInt(mac.slice(0, 2), 16) & 1) === 0;
}

/** A link together with the namespace it lives in. */
interface Located {
  ns: string;
  link: SimLink;
}

/**
 * What `execute` restores when an operation fails: the namespaces it may change (copied before
 * it ran; `undefined` for one that did not exist) and the MAC sequence, or the whole state for
 * operations whose cascades may reach anywhere.
 */
type Checkpoint =
  | { whole: SimState }
  | { namespaces: Map<string, SimNamespace | undefined>; macSeq: number };

/**
 * Deep copy of plain data (objects, arrays, primitives: what the state is made of). Several
 * times faster than `structuredClone`, which goes through the serializer.
 */
function clone<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = clone((value as Record<string, unknown>)[key]);
  return out as T;
}

/** A new namespace as `copy_net_ns` leaves it: `lo` only, down, no addresses. */
export function newNamespace(): SimNamespace {
  return {
    nextIfindex: 2,
    links: [{
      ifindex: 1,
      name: "lo",
      kind: "loopback",
      mac: "00:00:00:00:00:00",
      mtu: LOOPBACK_MTU,
      up: false,
      noarp: true,
      addresses: [],
    }],
    routes: [],
  };
}

/** The simulated kernel. Every method throws `KernelError` as the kernel would refuse. */
export class SimKernel {
  #state: SimState;
  /**
   * ipvlan and macvlan slaves by their lower device (`namespace\0ifindex`), so finding a
   * device's slaves does not walk every link. Rebuilt from the state when `undefined`.
   */
  #slaves: Map<string, Located[]> | undefined;

  constructor(state?: SimState) {
    this.#state = state
      ? clone(state)
      : { namespaces: { [ROOT_NAMESPACE]: newNamespace() }, macSeq: 1 };
  }

  /** A deep copy of the current state (for snapshots and observation). */
  get state(): SimState {
    return clone(this.#state);
  }

  /**
   * The current state itself, not a copy: for readers that copy what they keep (`observeState`
   * builds every object it returns), so observing a large host does not copy it twice.
   */
  get view(): Readonly<SimState> {
    return this.#state;
  }

  /**
   * Performs one operation. A refused operation changes nothing, except a
   * `link.update`: the kernel's do_setlink applies its attributes one after
   * another (kind data, MTU, alias, master, flags) and keeps what it did
   * before the one it refuses — e.g. a link released from its bridge stays
   * released when the new master is refused (seen on 6.18).
   */
  execute(op: Operation): void {
    if (op.op === "link.update") return this.#dispatch(op);
    // Copy only what the operation may change, not the whole state: with thousands of links a
    // full copy per operation made applying a plan quadratic.
    const saved = this.#checkpoint(op);
    try {
      this.#dispatch(op);
    } catch (e) {
      this.#restore(saved);
      throw e;
    }
  }

  /**
   * The namespaces `op` may change. Addresses and routes stay in their namespace; a new link
   * changes its own namespace, its lower device's (ipvlan port, the real lower of a macvlan on
   * a macvlan) and its veth peer's. An ipvlan that switches the port's mode changes every slave
   * on the port, and deletes cascade (veth peers, slaves, ports): those copy the whole state.
   */
  #checkpoint(op: Operation): Checkpoint {
    const names = new Set<string>();
    switch (op.op) {
      case "namespace.create":
      case "address.add":
      case "address.delete":
      case "route.add":
      case "route.delete":
        names.add(op.namespace);
        break;
      case "link.create": {
        const spec = op.link;
        names.add(spec.namespace);
        if (spec.peer) names.add(spec.peer.namespace);
        if (spec.parent) {
          names.add(spec.parent.namespace);
          const lower = this.#state.namespaces[spec.parent.namespace]?.links.find((l) =>
            l.name === spec.parent!.name
          );
          if (lower?.parent) names.add(lower.parent.namespace);
          const phy = lower?.kind === "ipvlan" && lower.parent ? this.#byRef(lower.parent) : lower;
          if (spec.kind === "ipvlan" && phy?.ipvlanPort) {
            if (phy.ipvlanPort.mode !== (spec.ipvlan?.mode ?? "l3")) {
              return { whole: clone(this.#state) };
            }
          }
        }
        break;
      }
      default:
        return { whole: clone(this.#state) };
    }
    const namespaces = new Map<string, SimNamespace | undefined>();
    for (const name of names) {
      const ns = this.#state.namespaces[name];
      namespaces.set(name, ns === undefined ? undefined : clone(ns));
    }
    return { namespaces, macSeq: this.#state.macSeq };
  }

  #restore(saved: Checkpoint): void {
    if ("whole" in saved) this.#state = saved.whole;
    else {
      for (const [name, ns] of saved.namespaces) {
        if (ns === undefined) delete this.#state.namespaces[name];
        else this.#state.namespaces[name] = ns;
      }
      this.#state.macSeq = saved.macSeq;
    }
    this.#slaves = undefined;
  }

  #dispatch(op: Operation): void {
    switch (op.op) {
      case "namespace.create":
        return this.createNamespace(op.namespace);
      case "namespace.delete":
        return this.deleteNamespace(op.namespace);
      case "link.create":
        return this.createLink(op.link);
      case "link.update":
        return this.updateLink(op.namespace, op.name, op.changes);
      case "link.delete":
        return this.deleteLink(op.namespace, op.name);
      case "address.add":
        return this.addAddress(op.namespace, op.link, op.cidr, op.protocol, op.replace ?? false);
      case "address.delete":
        return this.deleteAddress(op.namespace, op.link, op.cidr);
      case "route.add":
        return void this.addRoute(op.namespace, op.route, op.replace ?? false);
      case "route.delete":
        return this.deleteRoute(op.namespace, op.route);
    }
  }

  // ---------------------------------------------------------------- lookups

  #ns(name: string, action: string): SimNamespace {
    const ns = this.#state.namespaces[name];
    // A named namespace is a file under /run/netns; opening a missing one fails.
    if (!ns) throw kernelError("ENOENT", action, `Namespace "${name}" does not exist`);
    return ns;
  }

  #byName(ns: SimNamespace, name: string): SimLink | undefined {
    return ns.links.find((l) => l.name === name);
  }

  #byRef(ref: DevRef): SimLink | undefined {
    return this.#state.namespaces[ref.namespace]?.links.find((l) => l.ifindex === ref.ifindex);
  }

  #refOf(ns: string, link: SimLink): DevRef {
    return { namespace: ns, ifindex: link.ifindex };
  }

  #link(nsName: string, name: string, action: string): SimLink {
    const link = this.#byName(this.#ns(nsName, action), name);
    if (!link) throw kernelError("ENODEV", action);
    return link;
  }

  /** Every link in every namespace, in a stable order. */
  #all(): Located[] {
    const out: Located[] = [];
    for (const ns of Object.keys(this.#state.namespaces).sort()) {
      for (const link of this.#state.namespaces[ns]?.links ?? []) out.push({ ns, link });
    }
    return out;
  }

  #isRef(ref: DevRef | undefined, ns: string, link: SimLink): boolean {
    return ref !== undefined && ref.namespace === ns && ref.ifindex === link.ifindex;
  }

  /** ipvlan or macvlan slaves of the lower device `lower` in namespace `ns`. */
  #slavesOf(kind: "ipvlan" | "macvlan", ns: string, lower: SimLink): Located[] {
    if (this.#slaves === undefined) {
      this.#slaves = new Map();
      for (const l of this.#all()) this.#addSlave(l);
    }
    return this.#slaves.get(`${kind}\0${ns}\0${lower.ifindex}`) ?? [];
  }

  #addSlave(slave: Located): void {
    const { kind, parent } = slave.link;
    if (this.#slaves === undefined || parent === undefined) return;
    if (kind !== "ipvlan" && kind !== "macvlan") return;
    const key = `${kind}\0${parent.namespace}\0${parent.ifindex}`;
    const list = this.#slaves.get(key);
    if (list === undefined) this.#slaves.set(key, [slave]);
    else list.push(slave);
  }

  /** ipvlan slaves of the port on `master`, in every namespace. */
  #ipvlanSlaves(ns: string, master: SimLink): Located[] {
    return this.#slavesOf("ipvlan", ns, master);
  }

  /** macvlans on the lower device `lower`, in every namespace. */
  #macvlans(ns: string, lower: SimLink): Located[] {
    return this.#slavesOf("macvlan", ns, lower);
  }

  #nextMac(): string {
    const n = this.#state.macSeq++;
    const bytes = [0x02, 0x00, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
    return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
  }

  // ------------------------------------------------------------- namespaces

  /** `ip netns add`: EEXIST when it exists; the new one has `lo` down. */
  createNamespace(name: string): void {
    const action = `Create namespace "${name}"`;
    if (this.#state.namespaces[name]) throw kernelError("EEXIST", action);
    this.#state.namespaces[name] = newNamespace();
  }

  /**
   * `ip netns delete` of the last reference: default_device_exit_net moves
   * devices without rtnl_link_ops (physical NICs) back to the root namespace,
   * renamed `dev%d` on a clash; the rest are deleted with their cascades.
   */
  deleteNamespace(name: string): void {
    const action = `Delete namespace "${name}"`;
    if (name === ROOT_NAMESPACE) {
      throw kernelError("EINVAL", action, "Cannot delete the root namespace");
    }
    const ns = this.#ns(name, action);
    const root = this.#ns(ROOT_NAMESPACE, action);
    for (const link of [...ns.links].filter((l) => l.kind === "device")) {
      this.#moveToRoot(name, ns, link, root);
    }
    const doomed = ns.links.filter((l) => l.kind !== "device").map((l) => ({ ns: name, link: l }));
    this.#unregister(doomed);
    delete this.#state.namespaces[name];
  }

  /** dev_change_net_namespace for a physical device leaving a dying namespace. */
  #moveToRoot(nsName: string, ns: SimNamespace, link: SimLink, root: SimNamespace): void {
    const oldRef = this.#refOf(nsName, link);
    // The move closes the device and flushes its addresses, routes and bridge port.
    flushRoutesVia(ns, link.name);
    ns.links = ns.links.filter((l) => l !== link);
    link.up = false;
    link.addresses = [];
    delete link.master;
    if (root.links.some((l) => l.ifindex === link.ifindex)) link.ifindex = root.nextIfindex++;
    else root.nextIfindex = Math.max(root.nextIfindex, link.ifindex + 1);
    if (this.#byName(root, link.name)) {
      let n = 0;
      while (this.#byName(root, `dev${n}`)) n++;
      link.name = `dev${n}`;
    }
    root.links.push(link);
    const newRef = this.#refOf(ROOT_NAMESPACE, link);
    // Slaves and macvlans elsewhere keep pointing at their (moved) lower device.
    for (const other of this.#all()) {
      if (
        other.link.parent && other.link.parent.namespace === oldRef.namespace &&
        other.link.parent.ifindex === oldRef.ifindex
      ) other.link.parent = { ...newRef };
    }
    this.#slaves = undefined;
  }

  // ------------------------------------------------------------------ links

  /** Adds a physical NIC (for tests and the default host); not an operation netform performs. */
  addPhysical(
    nsName: string,
    name: string,
    opts: { mac: string; mtu?: number; up?: boolean },
  ): void {
    const action = `Add device "${name}"`;
    const ns = this.#ns(nsName, action);
    if (this.#byName(ns, name)) throw kernelError("EEXIST", action);
    ns.links.push({
      ifindex: ns.nextIfindex++,
      name,
      kind: "device",
      mac: opts.mac,
      mtu: opts.mtu ?? DEFAULT_MTU,
      up: false,
      noarp: false,
      addresses: [],
    });
    if (opts.up) this.updateLink(nsName, name, { up: true });
  }

  #checkName(name: string, action: string): void {
    // IFLA_IFNAME policy (NLA_STRING, len IFNAMSIZ-1) → ERANGE; dev_valid_name → EINVAL.
    const problem = kernelNameProblem(name);
    if (problem?.problem === "too long") {
      throw kernelError("ERANGE", action, "Attribute failed policy validation");
    }
    // A "%" other than one "%d" is EINVAL; the kernel expands a "%d" (dev_alloc_name), which
    // this model does not: the drivers refuse every "%" before a kernel sees it.
    if (problem !== undefined || hasNameTemplate(name)) throw kernelError("EINVAL", action);
  }

  #checkMtu(mtu: number, action: string): void {
    // dev_validate_mtu
    if (mtu < MIN_MTU) throw kernelError("EINVAL", action, "mtu less than device minimum");
    if (mtu > MAX_MTU) throw kernelError("EINVAL", action, "mtu greater than device maximum");
  }

  #checkAlias(alias: string, action: string): void {
    // IFLA_IFALIAS policy: NLA_STRING, len IFALIASZ-1.
    if (byteLength(alias) > MAX_ALIAS_BYTES) {
      throw kernelError("ERANGE", action, "Attribute failed policy validation");
    }
  }

  /** RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL, created directly in `spec.namespace`. */
  createLink(spec: LinkSpec): void {
    const action = `Create link "${spec.name}" in namespace "${spec.namespace}"`;
    const ns = this.#ns(spec.namespace, action);
    // Links named in the request are resolved to ifindexes before it is sent (as `ip link add`
    // does): a missing parent or master is ENODEV before the kernel sees anything.
    if (spec.kind === "ipvlan" || spec.kind === "macvlan") this.#lower(spec, action);
    const peerNs = spec.kind === "veth" && spec.peer
      ? this.#ns(spec.peer.namespace, action)
      : undefined;
    this.#requireMaster(ns, spec.master, action);
    if (peerNs) this.#requireMaster(peerNs, spec.peer?.master, action);
    // The attribute policy is checked when the message is parsed, before any lookup.
    this.#checkName(spec.name, action);
    if (spec.alias !== undefined) this.#checkAlias(spec.alias, action);
    // veth_validate (ops->validate) checks IFLA_MTU before rtnl_newlink looks the name up.
    if (spec.kind === "veth" && spec.mtu !== undefined) this.#checkMtu(spec.mtu, action);
    if (this.#byName(ns, spec.name)) throw kernelError("EEXIST", action);
    const base = {
      name: spec.name,
      up: false,
      noarp: false,
      addresses: [] as Address[],
      ...(spec.alias !== undefined && spec.alias !== "" ? { alias: spec.alias } : {}),
    };
    let link: SimLink;
    switch (spec.kind) {
      case "dummy":
      case "bridge": {
        // dummy_setup sets min_mtu and max_mtu to 0: any MTU goes.
        if (spec.mtu !== undefined && spec.kind === "bridge") this.#checkMtu(spec.mtu, action);
        link = {
          ...base,
          ifindex: 0,
          kind: spec.kind,
          mac: this.#nextMac(),
          mtu: spec.mtu ?? DEFAULT_MTU,
        };
        if (spec.kind === "dummy") link.noarp = true; // dummy_setup sets IFF_NOARP
        break;
      }
      case "ipvlan":
        link = this.#newIpvlan(spec, base, action);
        break;
      case "macvlan":
        link = this.#newMacvlan(spec, base, action);
        break;
      case "veth":
        return this.#createVeth(spec, action);
    }
    link.ifindex = ns.nextIfindex++;
    ns.links.push(link);
    this.#addSlave({ ns: spec.namespace, link });
    this.#finishCreate(spec.namespace, link, spec, action);
  }

  #requireMaster(ns: SimNamespace, master: string | undefined, action: string): void {
    if (master !== undefined && !this.#byName(ns, master)) throw kernelError("ENODEV", action);
  }

  /** What rtnl_newlink does after register: master (do_set_master), then IFF_UP. */
  #finishCreate(
    nsName: string,
    link: SimLink,
    spec: { master?: string; up: boolean },
    action: string,
  ) {
    if (spec.master !== undefined) this.#setMaster(nsName, link, spec.master, action);
    if (spec.up) this.#setUp(nsName, link, true);
  }

  /** ipvlan_link_new (drivers/net/ipvlan/ipvlan_main.c). */
  #newIpvlan(
    spec: LinkSpec,
    base: Omit<SimLink, "ifindex" | "kind" | "mac" | "mtu">,
    action: string,
  ) {
    const { master, masterNs } = this.#lower(spec, action);
    let phy = master;
    let phyNs = masterNs;
    if (phy.kind === "ipvlan" && phy.parent) {
      // The "master" is itself a slave: join its master's port.
      const real = this.#byRef(phy.parent);
      if (!real) throw kernelError("ENODEV", action);
      phyNs = phy.parent.namespace;
      phy = real;
    } else if (!phy.ipvlanPort) {
      // "Master is either lo or non-ether device"; then netdev_is_rx_handler_busy.
      if (phy.kind === "loopback") throw kernelError("EINVAL", action);
      if (this.#rxHandlerBusy(phyNs, phy)) {
        throw kernelError("EBUSY", action, "Device is already in use");
      }
    }
    if (spec.mtu !== undefined) this.#checkMtu(spec.mtu, action);
    const port = phy.ipvlanPort ?? { mode: "l3", flags: "bridge", nextDevId: 1 };
    phy.ipvlanPort = port;
    const devId = port.nextDevId;
    port.nextDevId = devId >= 0xfffd ? 1 : devId + 1;
    const link: SimLink = {
      ...base,
      ifindex: 0,
      kind: "ipvlan",
      // eth_hw_addr_set(dev, phy_dev->dev_addr); MTU copied only without IFLA_MTU.
      mac: phy.mac,
      mtu: spec.mtu ?? phy.mtu,
      parent: this.#refOf(phyNs, phy),
      devId,
    };
    // Flags change only when sent; the mode defaults to L3 when absent. Both are
    // port-wide, so this moves every existing slave too.
    if (spec.ipvlan) port.flags = spec.ipvlan.flags;
    this.#setPortMode(phyNs, phy, spec.ipvlan?.mode ?? "l3");
    return link;
  }

  /** An rx_handler is registered: bridge port, macvlan lower or ipvlan master. */
  #rxHandlerBusy(ns: string, dev: SimLink): boolean {
    return dev.master !== undefined || this.#macvlans(ns, dev).length > 0 ||
      dev.ipvlanPort !== undefined;
  }

  /** Resolves IFLA_LINK (parent), in its own namespace (IFLA_LINK_NETNSID). */
  #lower(spec: LinkSpec, action: string): { master: SimLink; masterNs: string } {
    // No IFLA_LINK → EINVAL.
    if (!spec.parent) throw kernelError("EINVAL", action, "A parent link is required");
    const pns = this.#ns(spec.parent.namespace, action);
    const master = this.#byName(pns, spec.parent.name);
    if (!master) throw kernelError("ENODEV", action);
    return { master, masterNs: spec.parent.namespace };
  }

  /** ipvlan_set_port_mode: NOARP follows the mode on every slave already on the port. */
  #setPortMode(ns: string, master: SimLink, mode: IpvlanPort["mode"]): void {
    const port = master.ipvlanPort;
    if (!port || port.mode === mode) return;
    port.mode = mode;
    for (const s of this.#ipvlanSlaves(ns, master)) s.link.noarp = mode !== "l2";
  }

  /** macvlan_common_newlink (drivers/net/macvlan.c). */
  #newMacvlan(
    spec: LinkSpec,
    base: Omit<SimLink, "ifindex" | "kind" | "mac" | "mtu">,
    action: string,
  ) {
    let { master: lower, masterNs: lowerNs } = this.#lower(spec, action);
    if (lower.kind === "macvlan" && lower.parent) {
      // A macvlan on a macvlan uses the real lower device.
      const real = this.#byRef(lower.parent);
      if (!real) throw kernelError("ENODEV", action);
      lowerNs = lower.parent.namespace;
      lower = real;
    }
    if (lower.kind === "loopback") throw kernelError("EINVAL", action);
    // An ipvlan slave has IFF_NO_RX_HANDLER (netdev_rx_handler_register → EINVAL).
    if (lower.kind === "ipvlan") throw kernelError("EINVAL", action);
    const siblings = this.#macvlans(lowerNs, lower);
    if (siblings.length === 0 && (lower.master !== undefined || lower.ipvlanPort)) {
      throw kernelError("EBUSY", action, "Device is already in use");
    }
    const mode: MacvlanMode = spec.macvlanMode ?? "vepa";
    // PASSTHRU owns the whole port: no other macvlan may share it.
    // A passthru port has no other macvlan, so the first sibling tells.
    if (
      siblings.length > 0 &&
      (mode === "passthru" || siblings[0]!.link.macvlanMode === "passthru")
    ) {
      throw kernelError("EINVAL", action);
    }
    if (spec.mtu !== undefined) {
      this.#checkMtu(spec.mtu, action);
      if (spec.mtu > lower.mtu) throw kernelError("EINVAL", action);
    }
    return {
      ...base,
      ifindex: 0,
      kind: "macvlan" as const,
      mac: this.#nextMac(),
      mtu: spec.mtu ?? lower.mtu,
      parent: this.#refOf(lowerNs, lower),
      macvlanMode: mode,
    };
  }

  /** veth_newlink: both ends in one request, each in its own namespace. */
  #createVeth(spec: LinkSpec, action: string): void {
    const peerSpec = spec.peer;
    if (!peerSpec) throw kernelError("EINVAL", action, "A veth needs a peer");
    const ns = this.#ns(spec.namespace, action);
    const pns = this.#ns(peerSpec.namespace, action);
    // In the kernel's order: rtnl_create_link of this end (MTU), then veth_newlink parses the
    // peer's attributes (policy), creates the peer (MTU) and registers it (name) before this end.
    if (spec.mtu !== undefined) this.#checkMtu(spec.mtu, action);
    if (peerSpec.alias !== undefined) this.#checkAlias(peerSpec.alias, action);
    if (peerSpec.mtu !== undefined) this.#checkMtu(peerSpec.mtu, action);
    this.#checkName(peerSpec.name, action);
    if (this.#byName(pns, peerSpec.name) || (pns === ns && peerSpec.name === spec.name)) {
      throw kernelError("EEXIST", action);
    }
    const peer: SimLink = {
      ifindex: pns.nextIfindex++,
      name: peerSpec.name,
      kind: "veth",
      mac: this.#nextMac(),
      mtu: peerSpec.mtu ?? DEFAULT_MTU,
      up: false,
      noarp: false,
      addresses: [],
      ...(peerSpec.alias ? { alias: peerSpec.alias } : {}),
    };
    pns.links.push(peer);
    const link: SimLink = {
      ifindex: ns.nextIfindex++,
      name: spec.name,
      kind: "veth",
      mac: this.#nextMac(),
      mtu: spec.mtu ?? DEFAULT_MTU,
      up: false,
      noarp: false,
      addresses: [],
      ...(spec.alias ? { alias: spec.alias } : {}),
      peer: this.#refOf(peerSpec.namespace, peer),
    };
    peer.peer = this.#refOf(spec.namespace, link);
    ns.links.push(link);
    this.#finishCreate(peerSpec.namespace, peer, peerSpec, action);
    this.#finishCreate(spec.namespace, link, spec, action);
  }

  /**
   * RTM_NEWLINK on an existing device, in the kernel's order: changelink (kind
   * data) first, then do_setlink (MTU, alias, master, flags). Like the kernel,
   * a later refusal leaves the earlier changes in place.
   */
  updateLink(nsName: string, name: string, changes: LinkChanges): void {
    const action = `Update link "${name}" in namespace "${nsName}"`;
    const ns = this.#ns(nsName, action);
    // A master is named in the request by ifindex: it must exist before anything is sent.
    if (typeof changes.master === "string") this.#requireMaster(ns, changes.master, action);
    // The IFLA_IFALIAS policy is checked when the message is parsed, before the link is looked
    // up and before anything changes.
    if (typeof changes.alias === "string") this.#checkAlias(changes.alias, action);
    const link = this.#link(nsName, name, action);
    if (changes.ipvlan) this.#changeIpvlan(link, changes.ipvlan, action);
    if (changes.macvlanMode !== undefined) this.#changeMacvlan(link, changes.macvlanMode, action);
    if (changes.mtu !== undefined) this.#setMtu(nsName, link, changes.mtu, action);
    if (changes.alias !== undefined) {
      if (changes.alias === null || changes.alias === "") delete link.alias;
      else {
        this.#checkAlias(changes.alias, action);
        link.alias = changes.alias;
      }
    }
    if (changes.master !== undefined) {
      if (changes.master === null) this.#releaseMaster(nsName, link);
      else this.#setMaster(nsName, link, changes.master, action);
    }
    if (changes.up !== undefined) this.#setUp(nsName, link, changes.up);
  }

  /** ipvlan_nl_changelink: mode and flags are the port's, so every slave changes. */
  #changeIpvlan(link: SimLink, wanted: IpvlanPort, action: string): void {
    if (link.kind !== "ipvlan" || !link.parent) throw kernelError("EOPNOTSUPP", action);
    const master = this.#byRef(link.parent);
    if (!master?.ipvlanPort) throw kernelError("ENODEV", action);
    this.#setPortMode(link.parent.namespace, master, wanted.mode);
    master.ipvlanPort.flags = wanted.flags;
  }

  /** macvlan_changelink: entering or leaving passthru is refused. */
  #changeMacvlan(link: SimLink, mode: MacvlanMode, action: string): void {
    if (link.kind !== "macvlan") throw kernelError("EOPNOTSUPP", action);
    if ((mode === "passthru") !== (link.macvlanMode === "passthru")) {
      throw kernelError("EINVAL", action);
    }
    link.macvlanMode = mode;
  }

  /** dev_set_mtu plus the NETDEV_CHANGEMTU reactions of ipvlan, macvlan and bridge. */
  #setMtu(nsName: string, link: SimLink, mtu: number, action: string): void {
    // loopback_setup and dummy_setup leave min_mtu and max_mtu at 0: any MTU goes, and IP
    // reacts below (seen on 6.1: a dummy takes MTU 65536).
    if (link.kind !== "loopback" && link.kind !== "dummy") this.#checkMtu(mtu, action);
    // dev_set_mtu_ext: the same MTU again is a no-op (no ndo_change_mtu, so a bridge's MTU is not
    // marked as the user's). Found by the VM differential run.
    if (mtu === link.mtu) return;
    if (link.kind === "macvlan" && link.parent) {
      // macvlan_change_mtu: not above the lower device's MTU.
      const lower = this.#byRef(link.parent);
      if (lower && mtu > lower.mtu) throw kernelError("EINVAL", action);
    }
    link.mtu = mtu;
    this.#ipFollowsMtu(nsName, link);
    if (link.kind === "bridge") link.mtuSetByUser = true; // br_change_mtu
    // ipvlan_device_event NETDEV_CHANGEMTU: every slave takes the master's MTU.
    for (const s of this.#ipvlanSlaves(nsName, link)) s.link.mtu = mtu;
    // macvlan_device_event: only macvlans above the new lower MTU are lowered, by dev_set_mtu,
    // which refuses (silently here) what is below a macvlan's minimum.
    for (const m of this.#macvlans(nsName, link)) {
      if (m.link.mtu <= mtu || mtu < MIN_MTU) continue;
      m.link.mtu = mtu;
      this.#ipFollowsMtu(m.ns, m.link);
    }
    if (link.master !== undefined) {
      const br = this.#state.namespaces[nsName]?.links.find((l) => l.ifindex === link.master);
      if (br) this.#bridgeAutoMtu(nsName, br);
    }
  }

  /**
   * NETDEV_CHANGEMTU for IP: below IPV6_MIN_MTU (1280) addrconf_ifdown flushes the IPv6
   * addresses; below 68 inetdev_event destroys the IPv4 config, addresses included (and
   * {@linkcode addAddress} refuses IPv4 with ENOBUFS until an MTU change of 68 or more re-creates
   * it). Checked on 6.18 with `ip link set lo mtu 60`, and on 6.1 in the VM.
   */
  #ipFollowsMtu(nsName: string, link: SimLink): void {
    const ns = this.#state.namespaces[nsName];
    if (!ns) return;
    const drop = (family: 4 | 6) => {
      for (const a of [...link.addresses]) {
        if (parseCidr(a.cidr)?.family !== family) continue;
        link.addresses = link.addresses.filter((x) => x !== a);
        afterAddressDeleted(ns, link, a.cidr);
      }
      flushRoutesVia(ns, link.name, family);
    };
    if (link.mtu < IPV6_MIN_MTU) drop(6);
    if (link.mtu < MIN_MTU) {
      drop(4);
      link.noInet = true;
    } else delete link.noInet; // "Re-enabling IP"
  }

  /** br_mtu_auto_adjust: a bridge whose MTU the user never set follows its smallest port. */
  #bridgeAutoMtu(nsName: string, br: SimLink): void {
    if (br.kind !== "bridge" || br.mtuSetByUser) return;
    const ports = this.#state.namespaces[nsName]?.links.filter((l) => l.master === br.ifindex) ??
      [];
    if (ports.length === 0) return;
    const mtu = Math.min(...ports.map((p) => p.mtu));
    // dev_set_mtu on the bridge: not below its minimum (a dummy port may be lower).
    if (mtu < MIN_MTU || mtu > MAX_MTU || mtu === br.mtu) return;
    br.mtu = mtu;
    this.#ipFollowsMtu(nsName, br);
  }

  /** do_set_master → br_add_if (net/bridge/br_if.c). */
  #setMaster(nsName: string, link: SimLink, masterName: string, action: string): void {
    const ns = this.#ns(nsName, action);
    const br = this.#byName(ns, masterName);
    if (!br) throw kernelError("ENODEV", action);
    if (link.master === br.ifindex) return;
    // do_set_master releases the current master (ndo_del_slave) before it
    // looks at the new one, so a refused master still leaves the link released.
    this.#releaseMaster(nsName, link);
    // Only a bridge has ndo_add_slave among the kinds modelled.
    if (br.kind !== "bridge") throw kernelError("EOPNOTSUPP", action);
    // br_add_if: lo, non-Ethernet and an invalid MAC first (a bridge that lost its last port
    // has 00:00:00:00:00:00), then "no bridging of bridges".
    if (link.kind === "loopback" || !isValidEtherAddr(link.mac)) {
      throw kernelError("EINVAL", action);
    }
    if (link.kind === "bridge") {
      throw kernelError("ELOOP", action, "Can not enslave a bridge to a bridge");
    }
    // An ipvlan slave has IFF_NO_RX_HANDLER; ipvlan masters and macvlan lowers
    // already have an rx_handler (netdev_rx_handler_register).
    if (link.kind === "ipvlan") throw kernelError("EINVAL", action);
    if (link.ipvlanPort || this.#macvlans(nsName, link).length > 0) {
      throw kernelError("EBUSY", action, "Device is already in use");
    }
    link.master = br.ifindex;
    this.#bridgePortsChanged(nsName, br);
  }

  #releaseMaster(nsName: string, link: SimLink): void {
    const old = link.master;
    if (old === undefined) return;
    delete link.master;
    const br = this.#state.namespaces[nsName]?.links.find((l) => l.ifindex === old);
    if (br) this.#bridgePortsChanged(nsName, br);
  }

  /**
   * A port joined or left `br`: its MTU follows (br_mtu_auto_adjust) and so does its MAC
   * (br_stp_recalculate_bridge_id: the lowest port MAC, or 00:00:00:00:00:00 with no port left,
   * since netform never sets a bridge's MAC itself).
   */
  #bridgePortsChanged(nsName: string, br: SimLink): void {
    this.#bridgeAutoMtu(nsName, br);
    if (br.kind !== "bridge") return;
    const ports = this.#state.namespaces[nsName]?.links.filter((l) => l.master === br.ifindex) ??
      [];
    br.mac = ports.map((p) => p.mac).sort()[0] ?? ZERO_MAC;
  }

  /** dev_change_flags(IFF_UP) and the notifier chain that follows. */
  #setUp(nsName: string, link: SimLink, up: boolean): void {
    const ns = this.#state.namespaces[nsName];
    if (!ns || link.up === up) return;
    link.up = up;
    if (up) {
      if (link.kind === "ipvlan" && link.parent) {
        // ipvlan_open: NOARP follows the port mode.
        const mode = this.#byRef(link.parent)?.ipvlanPort?.mode ?? "l3";
        link.noarp = mode !== "l2";
      }
      if (link.kind === "loopback") {
        // inetdev_event NETDEV_UP adds 127.0.0.1/8 (no IFA_PROTO); addrconf
        // init_loopback adds ::1/128 with IFAPROT_KERNEL_LO.
        if (!link.addresses.some((a) => a.cidr === "127.0.0.1/8")) {
          link.addresses.push({ cidr: "127.0.0.1/8", protocol: 0 });
        }
        if (!link.addresses.some((a) => a.cidr === "::1/128")) {
          link.addresses.push({ cidr: "::1/128", protocol: IFAPROT_KERNEL_LO });
        }
      }
      installPrefixRoutes(ns, link);
    } else {
      // fib_sync_down_dev (IPv4) and rt6_sync_down_dev (IPv6).
      flushRoutesVia(ns, link.name);
      // addrconf_ifdown: without keep_addr_on_down (0 by default) the IPv6 addresses go too.
      link.addresses = link.addresses.filter((a) => parseCidr(a.cidr)?.family !== 6);
    }
  }

  /** RTM_DELLINK: lo and physical devices have no dellink (EOPNOTSUPP). */
  deleteLink(nsName: string, name: string): void {
    const action = `Delete link "${name}" in namespace "${nsName}"`;
    const link = this.#link(nsName, name, action);
    if (link.kind === "loopback" || link.kind === "device") throw kernelError("EOPNOTSUPP", action);
    this.#unregister([{ ns: nsName, link }]);
  }

  /**
   * unregister_netdevice_many with its cascades: a veth takes its peer; an
   * ipvlan master or macvlan lower takes every slave in every namespace
   * (ipvlan_device_event / macvlan_device_event NETDEV_UNREGISTER); a bridge
   * releases its ports. Addresses and routes through the links go with them.
   */
  #unregister(start: Located[]): void {
    const doomed: Located[] = [];
    const seen = new Set<SimLink>();
    const queue = [...start];
    for (let next = 0; next < queue.length; next++) {
      const item = queue[next]!;
      if (seen.has(item.link)) continue;
      seen.add(item.link);
      doomed.push(item);
      const { ns, link } = item;
      if (link.peer) {
        const peer = this.#byRef(link.peer);
        if (peer) queue.push({ ns: link.peer.namespace, link: peer });
      }
      queue.push(...this.#ipvlanSlaves(ns, link), ...this.#macvlans(ns, link));
    }
    const masters = new Set<SimLink>();
    for (const { ns: nsName, link } of doomed) {
      const ns = this.#state.namespaces[nsName];
      if (!ns) continue;
      if (link.kind === "ipvlan" && link.parent) {
        const m = this.#byRef(link.parent);
        if (m) masters.add(m);
      }
      flushRoutesVia(ns, link.name);
      ns.links = ns.links.filter((l) => l !== link);
      if (link.kind === "bridge") {
        for (const port of ns.links) if (port.master === link.ifindex) delete port.master;
      }
      if (link.master !== undefined) {
        const br = ns.links.find((l) => l.ifindex === link.master);
        if (br) this.#bridgePortsChanged(nsName, br);
      }
    }
    this.#slaves = undefined;
    // ipvlan_uninit: the last slave gone destroys the port.
    for (const m of masters) {
      const located = this.#all().find((l) => l.link === m);
      if (located && this.#ipvlanSlaves(located.ns, m).length === 0) delete m.ipvlanPort;
    }
  }

  // -------------------------------------------------------------- addresses

  /**
   * RTM_NEWADDR (inet_rtm_newaddr / inet6_addr_add). With `replace` (NLM_F_REPLACE) an
   * existing identical address is kept: an IPv6 one takes the new protocol
   * (inet6_addr_modify), an IPv4 one only from Linux 6.4 on — before, inet_rtm_newaddr
   * ignored it (see `kernel_release.ts`).
   */
  addAddress(
    nsName: string,
    linkName: string,
    cidr: string,
    protocol: number,
    replace = false,
  ): void {
    const action = `Add address "${cidr}" to link "${linkName}" in namespace "${nsName}"`;
    const ns = this.#ns(nsName, action);
    const link = this.#byName(ns, linkName);
    if (!link) throw kernelError("ENODEV", action);
    const c = parseCidr(cidr);
    if (!c) throw kernelError("EINVAL", action, `Invalid address "${cidr}"`);
    // rtm_to_ifaddr: no in_device (destroyed by an MTU change below 68) → ENOBUFS. A device
    // created with such an MTU got its in_device at NETDEV_REGISTER, which checks no MTU (6.1).
    if (c.family === 4 && link.noInet) throw kernelError("ENOBUFS", action);
    // ipv6_add_dev refuses a device below IPV6_MIN_MTU; lo keeps its inet6_dev (addrconf_ifdown
    // with unregister false), so lo still takes addresses. Seen on 6.18 with a veth at MTU 1000.
    if (c.family === 6 && link.mtu < IPV6_MIN_MTU && link.kind !== "loopback") {
      throw kernelError("EINVAL", action);
    }
    const normalized = formatCidr(c);
    // IPv4: same local address and prefix (inet_insert_ifa); IPv6: same address
    // whatever the prefix (ipv6_add_addr → EEXIST).
    const dup = link.addresses.find((a) => {
      const o = parseCidr(a.cidr);
      return o !== undefined && sameIp(o, c) && (c.family === 6 || o.prefix === c.prefix);
    });
    if (dup && replace) {
      if (c.family === 6 || marksIPv4AddressInPlace(this.#state.kernelRelease)) {
        dup.protocol = protocol;
      }
      return;
    }
    if (dup) throw kernelError("EEXIST", action);
    if (link.kind === "ipvlan" && link.parent) {
      // ipvlan_addr4/6_validator_event → ipvlan_addr_busy over the whole port.
      const master = this.#byRef(link.parent);
      const slaves = master ? this.#ipvlanSlaves(link.parent.namespace, master) : [];
      const busy = slaves.some((s) =>
        s.link.addresses.some((a) => {
          const o = parseCidr(a.cidr);
          return o !== undefined && sameIp(o, c);
        })
      );
      if (busy) {
        throw kernelError("EADDRINUSE", action, "Address already assigned to an ipvlan device");
      }
    }
    link.addresses.push({ cidr: normalized, protocol });
    installPrefixRoute(ns, link, normalized);
  }

  /** RTM_DELADDR: address and prefix must match (EADDRNOTAVAIL otherwise). */
  deleteAddress(nsName: string, linkName: string, cidr: string): void {
    const action = `Delete address "${cidr}" from link "${linkName}" in namespace "${nsName}"`;
    const ns = this.#ns(nsName, action);
    const link = this.#byName(ns, linkName);
    if (!link) throw kernelError("ENODEV", action);
    const c = parseCidr(cidr);
    if (!c) throw kernelError("EINVAL", action, `Invalid address "${cidr}"`);
    const index = link.addresses.findIndex((a) => {
      const o = parseCidr(a.cidr);
      return o !== undefined && sameIp(o, c) && o.prefix === c.prefix;
    });
    if (index < 0) throw kernelError("EADDRNOTAVAIL", action);
    const doomed = [link.addresses[index]!, ...this.#secondariesOf(link, index)];
    for (const removed of doomed) {
      link.addresses = link.addresses.filter((a) => a !== removed);
      afterAddressDeleted(ns, link, removed.cidr);
    }
  }

  /**
   * The IPv4 secondaries of the address at `index` when it is a primary: the later addresses
   * with the same prefix length in its subnet (inet_insert_ifa marks them IFA_F_SECONDARY).
   * Deleting a primary deletes them too (__inet_del_ifa, promote_secondaries being 0 by
   * default). Found by the differential run on 6.1 (a later delete of a secondary: EADDRNOTAVAIL).
   */
  #secondariesOf(link: SimLink, index: number): Address[] {
    const c = parseCidr(link.addresses[index]?.cidr ?? "");
    if (c?.family !== 4) return [];
    const sameGroup = (a: Address) => {
      const o = parseCidr(a.cidr);
      return o !== undefined && o.family === 4 && o.prefix === c.prefix && contains(c, o);
    };
    // A primary is the first of its group; anything after it in the group is a secondary.
    if (link.addresses.slice(0, index).some(sameGroup)) return [];
    return link.addresses.slice(index + 1).filter(sameGroup);
  }

  // ----------------------------------------------------------------- routes

  /** RTM_NEWROUTE (NLM_F_EXCL, or NLM_F_REPLACE when `replace`). Returns the stored route. */
  addRoute(nsName: string, route: Route, replace: boolean): Route {
    const action = `Add route "${route.to}" in namespace "${nsName}"`;
    const ns = this.#ns(nsName, action);
    return addRoute({ ns, link: (name) => this.#byName(ns, name) }, route, replace, action);
  }

  /** RTM_DELROUTE; a missing route is ESRCH. */
  deleteRoute(nsName: string, route: Route): void {
    const action = `Delete route "${route.to}" in namespace "${nsName}"`;
    deleteRoute(this.#ns(nsName, action), route, action);
  }
}
