/**
 * Turns the simulated kernel's state into the shared model (`HostState`), as
 * the live driver would report the same kernel.
 *
 * @module
 */
import type { Address, HostState, Link, Namespace, Route } from "../../model/state.ts";
import { ROUTE_TABLES } from "../../model/names.ts";
import { contains, parseCidr } from "./ip.ts";
import type { DevRef, SimLink, SimState } from "./types.ts";

/** Observes every namespace, sorted and deterministic. */
export function observeState(state: SimState): HostState {
  const namespaces: Record<string, Namespace> = {};
  for (const nsName of Object.keys(state.namespaces).sort()) {
    const ns = state.namespaces[nsName]!;
    const links: Record<string, Link> = {};
    for (const link of [...ns.links].sort((a, b) => a.name.localeCompare(b.name))) {
      links[link.name] = observeLink(state, nsName, link);
    }
    const routes = ns.routes
      .filter((r) => r.table !== ROUTE_TABLES.local)
      .map((r) => ({ ...r }));
    sortByParsed(routes, (r) => r.to, compareRoutes);
    namespaces[nsName] = { links, routes };
  }
  return state.kernelRelease === undefined
    ? { namespaces }
    : { namespaces, kernelRelease: state.kernelRelease };
}

function find(state: SimState, ref: DevRef): SimLink | undefined {
  return state.namespaces[ref.namespace]?.links.find((l) => l.ifindex === ref.ifindex);
}

function linkRef(state: SimState, ref: DevRef): { namespace: string; name: string } {
  return { namespace: ref.namespace, name: find(state, ref)?.name ?? `if${ref.ifindex}` };
}

function observeLink(state: SimState, nsName: string, link: SimLink): Link {
  const common = {
    up: link.up,
    mtu: link.mtu,
    ...(link.alias !== undefined ? { alias: link.alias } : {}),
    ...masterOf(state, nsName, link),
    ...ipvlanOf(state, nsName, link),
    addresses: sortByParsed(withSecondaries(link.addresses), (a) => a.cidr, compareAddresses),
  };
  switch (link.kind) {
    case "loopback":
      return { kind: "loopback", ...common };
    case "device":
      return { kind: "device", ...(link.type !== undefined ? { type: link.type } : {}), ...common };
    case "dummy":
      return { kind: "dummy", ...common };
    case "bridge":
      return { kind: "bridge", ...common };
    case "ipvlan":
      return { kind: "ipvlan", ...common, parent: linkRef(state, link.parent!) };
    case "macvlan":
      return {
        kind: "macvlan",
        ...common,
        parent: linkRef(state, link.parent!),
        mode: link.macvlanMode ?? "vepa",
      };
    case "veth":
      return { kind: "veth", ...common, peer: linkRef(state, link.peer!) };
  }
}

function masterOf(state: SimState, nsName: string, link: SimLink): { master?: string } {
  if (link.master === undefined) return {};
  const br = find(state, { namespace: nsName, ifindex: link.master });
  return br ? { master: br.name } : {};
}

/** The port settings, on a master that has at least one slave. */
function ipvlanOf(state: SimState, nsName: string, link: SimLink) {
  if (!link.ipvlanPort) return {};
  const hasSlave = Object.values(state.namespaces).some((ns) =>
    ns.links.some((l) =>
      l.kind === "ipvlan" && l.parent?.namespace === nsName && l.parent.ifindex === link.ifindex
    )
  );
  return hasSlave ? { ipvlan: { mode: link.ipvlanPort.mode, flags: link.ipvlanPort.flags } } : {};
}

type Parsed = ReturnType<typeof parseCidr>;

/** Sorts `items` in place, parsing each one's CIDR once rather than in every comparison. */
function sortByParsed<T>(
  items: T[],
  cidrOf: (item: T) => string,
  compare: (a: T, x: Parsed, b: T, y: Parsed) => number,
): T[] {
  const parsed = new Map<T, Parsed>(items.map((i) => [i, parseCidr(cidrOf(i))]));
  return items.sort((a, b) => compare(a, parsed.get(a), b, parsed.get(b)));
}

function compareAddresses(a: { cidr: string }, x: Parsed, b: { cidr: string }, y: Parsed): number {
  if (!x || !y) return a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0;
  return x.family - y.family || cmp(x.value, y.value) || x.prefix - y.prefix;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRoutes(a: Route, x: Parsed, b: Route, y: Parsed): number {
  return a.table - b.table ||
    (x && y ? x.family - y.family || cmp(x.value, y.value) || x.prefix - y.prefix : 0) ||
    a.metric - b.metric ||
    (a.dev ?? "").localeCompare(b.dev ?? "");
}

/**
 * The link's addresses as observed: an IPv4 address after another of the same prefix length in
 * its subnet is a secondary (inet_insert_ifa), in the order the kernel keeps them.
 */
function withSecondaries(addresses: readonly Address[]): Address[] {
  const parsed = addresses.map((a) => parseCidr(a.cidr));
  return addresses.map((a, i) => {
    const c = parsed[i];
    const secondary = c?.family === 4 &&
      parsed.slice(0, i).some((o) =>
        o !== undefined && o.family === 4 && o.prefix === c.prefix && contains(o, c)
      );
    return {
      cidr: a.cidr,
      protocol: a.protocol,
      ...(secondary ? { secondary: true as const } : {}),
    };
  });
}
