/**
 * Reads the real kernel into the shared model (`HostState`), following the conventions of the
 * simulated driver's `observeState`: every namespace keyed by name (`root` for the one the
 * process runs in), links sorted by name, addresses and routes sorted, table local, kernel IPv6
 * link-local addresses and `fe80::/64` kernel routes and non-unicast-like route types left out.
 *
 * Cost: one `RouteSocket` per namespace and exactly one dump per object type per namespace
 * (`RTM_GETLINK`, `RTM_GETADDR`, `RTM_GETROUTE` with family `AF_UNSPEC`, all tables). Links whose
 * peer or parent lives in another namespace add one `RTM_GETLINK` dump per distinct
 * (reader namespace, nsid) pair, to find which namespace that nsid names (see `_nsid.ts`).
 *
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  ifaddrmsg,
  IFF_UP,
  ifinfomsg,
  listNamespaces,
  RouteSocket,
  RT_TABLE_LOCAL,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  rtmsg,
  RTPROT_KERNEL,
} from "../../../ffi/mod.ts";
import { NetformError } from "../../errors.ts";
import { ROOT_NAMESPACE } from "../../model/names.ts";
import {
  type Address,
  IPVLAN_FLAGS,
  IPVLAN_MODES,
  type IpvlanPort,
  type Link,
  type LinkRef,
  type MacvlanMode,
  type Namespace,
  type Route,
  type RouteScope,
  type RouteType,
} from "../../model/state.ts";
import {
  ARPHRD_LOOPBACK,
  parseAddress,
  parseLink,
  parseRoute,
  type RawAddress,
  type RawLink,
  type RawRoute,
} from "./_parse.ts";
import { NsidResolver } from "./_nsid.ts";
import { isVanishedNamespace } from "./_vanished.ts";
import { compareCidr } from "./_ip.ts";
import type { HostState } from "../../model/state.ts";

/** IFAPROT_KERNEL_LL: the protocol of the IPv6 link-local address addrconf generates. */
const IFAPROT_KERNEL_LL = 3;

const MACVLAN_MODE_BY_VALUE: Readonly<Record<number, MacvlanMode>> = {
  1: "private",
  2: "vepa",
  4: "bridge",
  8: "passthru",
  16: "source",
};

const ROUTE_TYPE_BY_VALUE: Readonly<Record<number, RouteType>> = {
  1: "unicast",
  6: "blackhole",
  7: "unreachable",
  8: "prohibit",
};

const SCOPE_BY_VALUE: Readonly<Record<number, RouteScope>> = {
  0: "universe",
  253: "link",
  254: "host",
};

/** What the three dumps of one namespace returned, parsed. */
export interface NamespaceDump {
  links: RawLink[];
  addresses: RawAddress[];
  routes: RawRoute[];
}

/**
 * Observes the root namespace (as `root`) and every named one (`/run/netns`), sorted and
 * deterministic. Never changes the calling thread's namespace except for the instant a socket
 * is connected (inside the FFI layer, restored before it returns).
 *
 * Throws `KernelError` when a dump fails, and `NetformError` when a named namespace is called
 * `root` (it would clash with the root namespace's key).
 */
export function observeHost(): HostState {
  const names = listNamespaces();
  if (names.includes(ROOT_NAMESPACE)) {
    throw new NetformError(
      `Cannot observe the host: a named namespace is called "${ROOT_NAMESPACE}", ` +
        `which is the key of the root namespace`,
    );
  }
  const keys = [ROOT_NAMESPACE, ...names];
  const sockets = new Map<string, RouteSocket>();
  try {
    const dumps = new Map<string, NamespaceDump>();
    for (const key of keys) {
      let socket: RouteSocket;
      try {
        socket = RouteSocket.open(key === ROOT_NAMESPACE ? null : key);
      } catch (e) {
        // Deleted between the listing and now (ip netns del by someone else): it is gone.
        if (key !== ROOT_NAMESPACE && isVanishedNamespace(e)) continue;
        throw e;
      }
      sockets.set(key, socket);
      dumps.set(key, dumpNamespace(socket));
    }
    const resolver = new NsidResolver(dumps, (reader) => sockets.get(reader)!);
    return buildHostState(dumps, resolver);
  } finally {
    for (const s of sockets.values()) s.close();
  }
}

/** One dump of each object type, parsed. */
export function dumpNamespace(socket: RouteSocket): NamespaceDump {
  const links = socket.dump(RTM_GETLINK, ifinfomsg()).map((m) => parseLink(m.payload));
  const addresses = socket.dump(RTM_GETADDR, ifaddrmsg())
    .map((m) => parseAddress(m.payload))
    .filter((a): a is RawAddress => a !== undefined);
  const routes = socket.dump(RTM_GETROUTE, rtmsg())
    .filter((m) => mayBeModelled(m.payload))
    .map((m) => parseRoute(m.payload));
  return { links, addresses, routes };
}

/**
 * Whether a route message can become a model route, judged from its fixed header alone, so the
 * many the model leaves out (table local: local, broadcast and multicast routes, a few per
 * address and device) are never parsed. `toRoute` decides the rest. A table above 255 reads as
 * RT_TABLE_COMPAT (252) here and is kept.
 */
function mayBeModelled(payload: Uint8Array): boolean {
  const family = payload[0];
  const table = payload[4];
  const type = payload[7];
  return (family === AF_INET || family === AF_INET6) && table !== RT_TABLE_LOCAL &&
    type !== undefined && ROUTE_TYPE_BY_VALUE[type] !== undefined;
}

/**
 * Builds the model from parsed dumps. `resolver` names the namespace an nsid of a reader
 * namespace refers to, and the links in it.
 */
export function buildHostState(
  dumps: ReadonlyMap<string, NamespaceDump>,
  resolver: Pick<NsidResolver, "resolve">,
): HostState {
  const byIndex = new Map<string, Map<number, RawLink>>();
  for (const [ns, d] of dumps) byIndex.set(ns, new Map(d.links.map((l) => [l.ifindex, l])));

  /** Where IFLA_LINK (+ IFLA_LINK_NETNSID) of a link of `reader` points. */
  const refOf = (reader: string, ifindex: number, nsid: number | undefined): LinkRef => {
    if (nsid === undefined) {
      return { namespace: reader, name: byIndex.get(reader)?.get(ifindex)?.name ?? `if${ifindex}` };
    }
    const target = resolver.resolve(reader, nsid);
    const namespace = target.namespace ?? `nsid:${nsid}`;
    const name =
      (target.namespace !== undefined
        ? byIndex.get(target.namespace)?.get(ifindex)?.name
        : undefined) ?? target.names.get(ifindex) ?? `if${ifindex}`;
    return { namespace, name };
  };

  // ipvlan mode and flags live on the port (the master), which every slave reports.
  const ports = new Map<string, IpvlanPort>();
  for (const [ns, d] of dumps) {
    for (const l of d.links) {
      if (l.kind !== "ipvlan" || l.link === undefined) continue;
      const port = ipvlanPort(l);
      if (port === undefined) continue;
      const master = refOf(ns, l.link, l.linkNetnsid);
      ports.set(`${master.namespace}\0${master.name}`, port);
    }
  }

  const namespaces: Record<string, Namespace> = {};
  for (const ns of [...dumps.keys()].sort()) {
    const d = dumps.get(ns)!;
    const index = byIndex.get(ns)!;
    const addresses = new Map<number, Address[]>();
    for (const a of d.addresses) {
      if (skipAddress(a)) continue;
      const list = addresses.get(a.ifindex) ?? [];
      list.push({
        cidr: `${a.address}/${a.prefixlen}`,
        protocol: a.protocol,
        ...(a.secondary ? { secondary: true as const } : {}),
      });
      addresses.set(a.ifindex, list);
    }
    const links: Record<string, Link> = {};
    for (const l of [...d.links].sort((a, b) => a.name.localeCompare(b.name))) {
      const master = l.master === undefined ? undefined : index.get(l.master)?.name;
      const port = ports.get(`${ns}\0${l.name}`);
      const common = {
        up: (l.flags & IFF_UP) !== 0,
        ...(l.mtu !== undefined ? { mtu: l.mtu } : {}),
        ...(l.alias !== undefined ? { alias: l.alias } : {}),
        ...(master !== undefined ? { master } : {}),
        ...(port !== undefined ? { ipvlan: port } : {}),
        addresses: (addresses.get(l.ifindex) ?? []).sort((a, b) => compareCidr(a.cidr, b.cidr)),
      };
      links[l.name] = toLink(l, common, (i, nsid) => refOf(ns, i, nsid));
    }
    const routes = d.routes
      .map((r) => toRoute(r, index))
      .filter((r): r is Route => r !== undefined)
      .sort(compareRoutes);
    namespaces[ns] = { links, routes };
  }
  return { namespaces, kernelRelease: Deno.osRelease() };
}

type Common = Omit<Extract<Link, { kind: "bridge" }>, "kind">;

function toLink(
  l: RawLink,
  common: Common,
  ref: (ifindex: number, nsid: number | undefined) => LinkRef,
): Link {
  switch (l.kind) {
    case undefined:
      return l.type === ARPHRD_LOOPBACK
        ? { kind: "loopback", ...common }
        : { kind: "device", ...common };
    case "bridge":
      return { kind: "bridge", ...common };
    case "dummy":
      return { kind: "dummy", ...common };
    case "ipvlan":
      if (l.link === undefined) break;
      return { kind: "ipvlan", ...common, parent: ref(l.link, l.linkNetnsid) };
    case "macvlan":
      if (l.link === undefined) break;
      return {
        kind: "macvlan",
        ...common,
        parent: ref(l.link, l.linkNetnsid),
        mode: MACVLAN_MODE_BY_VALUE[l.macvlanMode ?? 2] ?? "vepa",
      };
    case "veth":
      if (l.link === undefined) break;
      return { kind: "veth", ...common, peer: ref(l.link, l.linkNetnsid) };
  }
  return { kind: "device", ...common, ...(l.kind !== undefined ? { type: l.kind } : {}) };
}

/** The port settings an ipvlan slave reports, or none when it reports no mode. */
export function ipvlanPort(l: RawLink): IpvlanPort | undefined {
  const mode = l.ipvlanMode === undefined ? undefined : IPVLAN_MODES[l.ipvlanMode];
  // IFLA_IPVLAN_FLAGS: 0 bridge, IPVLAN_F_PRIVATE 1, IPVLAN_F_VEPA 2.
  const flags = IPVLAN_FLAGS[(l.ipvlanFlags ?? 0) & 3];
  if (mode === undefined || flags === undefined) return undefined;
  return { mode, flags };
}

/**
 * Addresses the model leaves out: the IPv6 link-local address addrconf generates for every
 * link (IFAPROT_KERNEL_LL, or no protocol on a kernel older than 5.18). A link-local address
 * given another protocol (netform's own) is kept.
 */
function skipAddress(a: RawAddress): boolean {
  if (a.family !== AF_INET6) return a.family !== AF_INET;
  if (a.protocol !== 0 && a.protocol !== IFAPROT_KERNEL_LL) return false;
  const first = parseInt(a.address.split(":")[0] || "0", 16);
  return (first & 0xffc0) === 0xfe80;
}

function toRoute(r: RawRoute, index: ReadonlyMap<number, RawLink>): Route | undefined {
  if (r.family !== AF_INET && r.family !== AF_INET6) return undefined;
  if (r.table === RT_TABLE_LOCAL) return undefined;
  const type = ROUTE_TYPE_BY_VALUE[r.type];
  if (type === undefined) return undefined; // local, broadcast, anycast, multicast, …
  const to = r.dst !== undefined
    ? `${r.dst}/${r.dstLen}`
    : r.family === AF_INET
    ? "0.0.0.0/0"
    : "::/0";
  if (r.family === AF_INET6 && to === "fe80::/64" && r.protocol === RTPROT_KERNEL) return undefined;
  if (r.family === AF_INET6 && to.startsWith("ff") && r.protocol === RTPROT_KERNEL) {
    return undefined; // multicast
  }
  const dev = r.oif === undefined ? undefined : index.get(r.oif)?.name ?? `if${r.oif}`;
  const scope = SCOPE_BY_VALUE[r.scope];
  return {
    to,
    type,
    ...(r.gateway !== undefined ? { via: r.gateway } : {}),
    ...(dev !== undefined ? { dev } : {}),
    ...(scope !== undefined ? { scope } : {}),
    metric: r.priority,
    table: r.table,
    ...(r.prefsrc !== undefined ? { src: r.prefsrc } : {}),
    protocol: r.protocol,
  };
}

function compareRoutes(a: Route, b: Route): number {
  return a.table - b.table || compareCidr(a.to, b.to) || a.metric - b.metric ||
    (a.dev ?? "").localeCompare(b.dev ?? "");
}
