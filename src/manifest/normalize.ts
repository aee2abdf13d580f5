/**
 * Turns a validated manifest input into the desired {@linkcode Topology}:
 * defaults filled in, references resolved, addresses and routes in the
 * canonical form the kernel reports, so the planner can compare desired and
 * observed state field by field.
 *
 * @module
 */
import { NETFORM_PROTOCOL, ownerAlias, ROOT_NAMESPACE } from "../model/names.ts";
import type { Link, LinkKind, Namespace, Topology } from "../model/state.ts";
import { compareCidrs, formatCidr, parseCidr } from "./ip.ts";
import { normalizeRoute } from "./normalize_route.ts";
import { resolveReference } from "./reference.ts";
import { linkKey, slavesByParent } from "./relations.ts";
import type { LinkInput, NamespaceInput, TopologyInput } from "./topology.ts";

/** Kinds netform creates, deletes and marks as its own with the owner alias. */
const OWNED_KINDS: ReadonlySet<LinkKind> = new Set([
  "dummy",
  "bridge",
  "ipvlan",
  "macvlan",
  "veth",
]);

/**
 * Normalizes a manifest input. Call it only on input that validation passed:
 * it assumes every reference resolves and every address parses.
 *
 * @example
 * ```ts
 * import { normalizeTopology } from "./normalize.ts";
 * const topology = normalizeTopology({
 *   name: "demo",
 *   namespaces: { ns1: { links: { d0: { kind: "dummy", addresses: ["10.0.0.2/24"] } } } },
 * });
 * topology.namespaces.ns1?.links.d0; // { kind: "dummy", up: true, alias: "netform:demo", … }
 * ```
 */
export function normalizeTopology(input: TopologyInput): Topology {
  const ipvlanParents = new Set(slavesByParent(input, "ipvlan").keys());
  const names = Object.keys(input.namespaces);
  if (!names.includes(ROOT_NAMESPACE)) names.push(ROOT_NAMESPACE);
  const namespaces: Record<string, Namespace> = {};
  for (const namespace of names.sort()) {
    namespaces[namespace] = normalizeNamespace(input, namespace, ipvlanParents);
  }
  return { name: input.name, namespaces };
}

function normalizeNamespace(
  input: TopologyInput,
  namespace: string,
  ipvlanParents: ReadonlySet<string>,
): Namespace {
  const ns: NamespaceInput = input.namespaces[namespace] ?? {};
  const links: Record<string, Link> = {};
  const declared = ns.links ?? {};
  for (const name of Object.keys(declared).sort()) {
    const link = normalizeLink(declared[name]!, {
      namespace,
      name,
      topology: input.name,
      ipvlanParent: ipvlanParents.has(linkKey({ namespace, name })),
    });
    links[name] = link;
  }
  // A named namespace is netform's, and so is its lo: the alias on lo is how
  // observe tells our namespaces from foreign ones.
  if (namespace !== ROOT_NAMESPACE && !Object.hasOwn(links, "lo")) {
    links.lo = { kind: "loopback", addresses: [], alias: ownerAlias(input.name) };
  }
  const routes = (ns.routes ?? []).map(normalizeRoute).sort((a, b) =>
    a.table - b.table || compareCidrs(a.to, b.to) || a.metric - b.metric
  );
  return { links: sortKeys(links), routes };
}

interface LinkContext {
  namespace: string;
  name: string;
  topology: string;
  ipvlanParent: boolean;
}

function normalizeLink(input: LinkInput, ctx: LinkContext): Link {
  const common: Omit<Link, "kind"> = {
    addresses: (input.addresses ?? []).map((text) => {
      const cidr = parseCidr(text);
      if (!cidr) throw new TypeError(`normalizeTopology: invalid address "${text}"`);
      return { cidr: formatCidr(cidr), protocol: NETFORM_PROTOCOL };
    }).sort((a, b) => compareCidrs(a.cidr, b.cidr)),
  };
  // `existing` links are not ours: leaving `up` out leaves their state alone.
  const up = input.kind === "existing" ? input.up : input.up ?? true;
  if (up !== undefined) common.up = up;
  if (input.mtu !== undefined) common.mtu = input.mtu;
  if (input.master !== undefined) common.master = input.master;
  const owned = OWNED_KINDS.has(input.kind) ||
    (input.kind === "loopback" && ctx.namespace !== ROOT_NAMESPACE);
  if (owned) common.alias = ownerAlias(ctx.topology);
  if (ctx.ipvlanParent) {
    // The kernel's defaults for a port; netform always sends both (see topology.ts).
    common.ipvlan = { mode: input.ipvlan?.mode ?? "l3", flags: input.ipvlan?.flags ?? "bridge" };
  }
  switch (input.kind) {
    case "ipvlan":
      return { kind: "ipvlan", ...common, parent: reference(input.parent, ctx.namespace) };
    case "macvlan":
      return {
        kind: "macvlan",
        ...common,
        parent: reference(input.parent, ctx.namespace),
        mode: input.mode ?? "bridge",
      };
    case "veth":
      return { kind: "veth", ...common, peer: reference(input.peer, ctx.namespace) };
    default:
      return { kind: input.kind, ...common };
  }
}

function reference(text: string, namespace: string) {
  const ref = resolveReference(text, namespace);
  if (!ref) throw new TypeError(`normalizeTopology: invalid reference "${text}"`);
  return ref;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
