/**
 * The way back from the model to the simulator: a `SimKernel` built from an
 * observed `HostState` (typically the live host's), so a captured host can be
 * planned against without root.
 *
 * The contract is the round trip: `observeState(kernelFromHostState(s).state)`
 * deep-equals `s` for every state an observer reports, with the exceptions
 * named below (what the simulator's state has no room for).
 *
 * What the model does not carry is made up deterministically:
 * - ifindexes: per namespace, `lo` (the loopback) is 1, then the other links by name;
 * - MAC addresses: `00:00:00:00:00:00` for loopbacks, the master's for ipvlan
 *   slaves (as `ipvlan_link_new` copies it), otherwise a sequence in the
 *   simulator's own `02:00:…` format, in namespace then ifindex order;
 * - ipvlan `dev_id`s: 1, 2, … over the port's slaves in namespace then ifindex order;
 * - a bridge's "MTU set by user" flag: set when its MTU differs from the
 *   smallest MTU of its ports (what `br_mtu_auto_adjust` would have made it).
 *
 * Kept exactly as given: namespaces, link names, kinds, up, MTU, alias,
 * master, parent and peer references, macvlan mode, ipvlan port mode and
 * flags (from the master's `ipvlan` field), addresses with their protocol, and
 * every route, including the kernel's own (protocol 2) — they are copied, never
 * regenerated from the addresses.
 *
 * Not kept (the round trip differs):
 * - a parent or peer the simulator cannot resolve — a namespace that is not
 *   in the state (the live observer's `nsid:N` for a namespace without a name
 *   under /run/netns) or a link that is not in it (`ifN`): the simulator's
 *   references are (namespace, ifindex) pairs, so there is nothing to point
 *   at. Such a veth, ipvlan or macvlan becomes a `device` with no parent or
 *   peer: it still occupies its name, carries its addresses and routes, and
 *   the planner treats it as a link netform does not manage;
 * - `kind: "existing"` (a desired-state kind no observer reports) becomes a device;
 * - a missing `up` or `mtu` becomes down and the kind's default MTU; a
 *   `master` naming no link in the namespace is dropped.
 *
 * @module
 */
import type { HostState, Link, LinkRef } from "../../model/state.ts";
import { LOOPBACK_MTU, SimKernel } from "./kernel.ts";
import type { DevRef, SimLink, SimLinkKind, SimNamespace, SimState } from "./types.ts";

/** ETH_DATA_LEN, the MTU the simulator gives an Ethernet-like device. */
const DEFAULT_MTU = 1500;
const LOOPBACK_MAC = "00:00:00:00:00:00";

/** Same format as the simulator's own generated addresses (`SimKernel#nextMac`). */
function macFor(n: number): string {
  const bytes = [0x02, 0x00, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Code-unit order, independent of the locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The simulator kind a model link maps to, before references are resolved. */
function simKind(link: Link): SimLinkKind {
  switch (link.kind) {
    case "existing":
    case "device":
      return "device";
    default:
      return link.kind;
  }
}

/**
 * A simulated kernel whose observation is `state` (see the module comment for
 * what is made up and what cannot be kept).
 */
export function kernelFromHostState(state: HostState): SimKernel {
  const nsNames = Object.keys(state.namespaces).sort(byName);

  // Pass 1: ifindexes, per namespace: the loopback first, then by name.
  const ifindexes = new Map<string, Map<string, number>>();
  for (const nsName of nsNames) {
    const links = state.namespaces[nsName]!.links;
    const names = Object.keys(links).sort((a, b) =>
      Number(links[b]!.kind === "loopback") - Number(links[a]!.kind === "loopback") ||
      byName(a, b)
    );
    ifindexes.set(nsName, new Map(names.map((n, i) => [n, i + 1])));
  }
  const resolve = (ref: LinkRef): DevRef | undefined => {
    const ifindex = ifindexes.get(ref.namespace)?.get(ref.name);
    return ifindex === undefined ? undefined : { namespace: ref.namespace, ifindex };
  };

  // Pass 2: the links, with references resolved; unresolvable ones become devices.
  const namespaces: Record<string, SimNamespace> = {};
  const sim = new Map<string, SimLink>(); // "ns\0ifindex" → link
  const key = (ref: DevRef) => `${ref.namespace}\0${ref.ifindex}`;
  for (const nsName of nsNames) {
    const ns = state.namespaces[nsName]!;
    const index = ifindexes.get(nsName)!;
    const links: SimLink[] = [];
    for (const [name, link] of Object.entries(ns.links)) {
      const ifindex = index.get(name)!;
      let kind = simKind(link);
      const out: SimLink = {
        ifindex,
        name,
        kind,
        mac: "",
        mtu: link.mtu ?? (link.kind === "loopback" ? LOOPBACK_MTU : DEFAULT_MTU),
        up: link.up ?? false,
        // dummy_setup and loopback_setup set IFF_NOARP; ipvlan slaves get it below.
        noarp: kind === "loopback" || kind === "dummy",
        // Primaries first, so that the simulator makes the same ones primary.
        addresses: [...link.addresses].sort((a, b) =>
          Number(a.secondary ?? false) - Number(b.secondary ?? false)
        )
          .map((a) => ({ cidr: a.cidr, protocol: a.protocol })),
        ...(link.alias !== undefined ? { alias: link.alias } : {}),
        ...(link.kind === "device" && link.type !== undefined ? { type: link.type } : {}),
      };
      if (link.master !== undefined) {
        const master = index.get(link.master);
        if (master !== undefined) out.master = master;
      }
      if (link.kind === "ipvlan" || link.kind === "macvlan") {
        const parent = resolve(link.parent);
        if (parent === undefined) kind = "device";
        else out.parent = parent;
        if (link.kind === "macvlan" && parent !== undefined) out.macvlanMode = link.mode;
      } else if (link.kind === "veth") {
        const peer = resolve(link.peer);
        if (peer === undefined) kind = "device";
        else out.peer = peer;
      }
      out.kind = kind;
      links.push(out);
      sim.set(key({ namespace: nsName, ifindex }), out);
    }
    links.sort((a, b) => a.ifindex - b.ifindex);
    namespaces[nsName] = {
      nextIfindex: Math.max(2, links.length + 1),
      links,
      // Every route as observed (table local is not in the model, so not here either).
      routes: ns.routes.map((r) => ({ ...r })),
    };
  }

  // Pass 3: MACs (ipvlan slaves take their master's, so they go last).
  let macSeq = 1;
  const ordered = nsNames.flatMap((n) => namespaces[n]!.links);
  for (const link of ordered) {
    if (link.kind === "loopback") link.mac = LOOPBACK_MAC;
    else if (link.kind !== "ipvlan") link.mac = macFor(macSeq++);
  }

  // Pass 4: ipvlan ports on the masters, from the master's `ipvlan` field.
  const modelLink = (ref: DevRef): Link | undefined => {
    const l = sim.get(key(ref));
    return l && state.namespaces[ref.namespace]?.links[l.name];
  };
  for (const link of ordered) {
    if (link.kind !== "ipvlan" || link.parent === undefined) continue;
    const master = sim.get(key(link.parent))!;
    if (master.ipvlanPort === undefined) {
      // The live observer reports the port on the master whenever a slave reports a mode.
      const port = modelLink(link.parent)?.ipvlan ?? { mode: "l3", flags: "bridge" };
      master.ipvlanPort = { mode: port.mode, flags: port.flags, nextDevId: 1 };
    }
    const port = master.ipvlanPort;
    link.devId = port.nextDevId;
    port.nextDevId += 1;
    // A master that is itself a slave (never reported by a kernel) has no MAC yet.
    if (master.mac === "") master.mac = macFor(macSeq++);
    link.mac = master.mac;
    // ipvlan_set_port_mode: NOARP on every slave unless the port is in l2.
    link.noarp = port.mode !== "l2";
  }

  // Pass 5: bridges whose MTU is not what their ports would make it were set by hand.
  for (const nsName of nsNames) {
    const links = namespaces[nsName]!.links;
    for (const br of links) {
      if (br.kind !== "bridge") continue;
      const ports = links.filter((l) => l.master === br.ifindex);
      if (ports.length > 0 && br.mtu !== Math.min(...ports.map((p) => p.mtu))) {
        br.mtuSetByUser = true;
      }
    }
  }

  const simState: SimState = {
    namespaces,
    macSeq,
    ...(state.kernelRelease !== undefined ? { kernelRelease: state.kernelRelease } : {}),
  };
  return new SimKernel(simState);
}
