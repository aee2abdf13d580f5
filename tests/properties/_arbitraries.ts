/**
 * fast-check generators for property tests: valid manifest values (plain
 * objects of the `TopologyInput` shape) built *by construction* from raw
 * random choices, so nothing needs to be discarded, plus random starting
 * states for the simulator (an earlier topology of the same name, another
 * topology, foreign objects).
 *
 * Rules respected by construction (each mirrors a kernel or validator rule):
 * - every link gets its own subnets (`10.<i>.0.0/24`, `fd00:<i>::/64`), so
 *   addresses are unique per ipvlan port across namespaces;
 * - a link carries ipvlan slaves or macvlan slaves, never both, and a bridge
 *   port is never a parent;
 * - a macvlan MTU is given only when the parent's MTU is known (eth0 is 1500
 *   and never changed; a dummy parent must declare its MTU) and is at most it;
 * - MTUs are ≥ 1280 so IPv6 addresses are always allowed;
 * - `dev` routes and gateways use links that are up (IPv4 and IPv6 nexthops
 *   need an up device); gateways are `.254`/`::fe` of a declared subnet and
 *   never a local address; route identities (table, to, metric) are unique.
 *
 * @module
 */
import fc from "fast-check";
import type {
  LinkInput,
  NamespaceInput,
  RouteInput,
  TopologyInput,
} from "../../src/manifest/topology.ts";
import type { Operation } from "../../src/model/operations.ts";

const IPVLAN_MODES = ["l2", "l3", "l3s"] as const;
const IPVLAN_FLAGS = ["bridge", "private", "vepa"] as const;
const MACVLAN_MODES = ["bridge", "vepa", "private"] as const;
const MTUS = [1280, 1400, 1500, 9000] as const;

/** Raw random choices one link is built from. */
interface RawLink {
  kind: "dummy" | "bridge" | "ipvlan" | "macvlan" | "veth";
  ns: number;
  ns2: number;
  pick: number;
  up: boolean | undefined;
  peerUp: boolean | undefined;
  mtu: number | undefined;
  peerMtu: number | undefined;
  macvlanMode: typeof MACVLAN_MODES[number];
  port: { mode: typeof IPVLAN_MODES[number]; flags: typeof IPVLAN_FLAGS[number] } | undefined;
  bridgePort: boolean;
  v4: number[];
  v6: number[];
  peerV4: number[];
}

interface RawRoute {
  ns: number;
  kind: "dev" | "via" | "via-dev" | "default-via" | "default-dev" | "default6" | "blackhole";
  pick: number;
  metric: number | undefined;
  table: "main" | 100 | undefined;
}

export interface RawTopology {
  nsCount: number;
  lo: (boolean | undefined | "absent")[];
  rootLo: boolean;
  links: RawLink[];
  eth0Port: { mode: typeof IPVLAN_MODES[number]; flags: typeof IPVLAN_FLAGS[number] } | undefined;
  eth0V4: number[];
  routes: RawRoute[];
}

export interface TopologyOptions {
  name: string;
  /** Named namespaces are `<nsPrefix>0`, `<nsPrefix>1`, … */
  nsPrefix: string;
  /** Link names are `<linkPrefix><i>` (and `<linkPrefix><i>p` for a veth peer). */
  linkPrefix: string;
  /** Link i uses subnets 10.<subnetBase+i>.0.0/24 and fd00:<subnetBase+i>::/64. */
  subnetBase: number;
  /** Route destinations use 172.<routeOctet>.k.0/24 and 192.168.<k+routeOctet>.0/24. */
  routeOctet: number;
  /** Whether eth0 (and root routes, root lo) may be used. */
  useRoot: boolean;
  maxNamespaces: number;
}

const port = fc.option(
  fc.record({ mode: fc.constantFrom(...IPVLAN_MODES), flags: fc.constantFrom(...IPVLAN_FLAGS) }),
  { nil: undefined },
);
const optBool = fc.option(fc.boolean(), { nil: undefined, freq: 3 });
const optMtu = fc.option(fc.constantFrom(...MTUS), { nil: undefined, freq: 2 });
const hosts = (max: number) => fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: max });

const rawLink: fc.Arbitrary<RawLink> = fc.record({
  kind: fc.constantFrom("dummy", "bridge", "ipvlan", "macvlan", "veth"),
  ns: fc.nat(8),
  ns2: fc.nat(8),
  pick: fc.nat(20),
  up: optBool,
  peerUp: optBool,
  mtu: optMtu,
  peerMtu: optMtu,
  macvlanMode: fc.constantFrom(...MACVLAN_MODES),
  port,
  bridgePort: fc.boolean(),
  v4: hosts(2),
  v6: hosts(1),
  peerV4: hosts(1),
});

const rawRoute: fc.Arbitrary<RawRoute> = fc.record({
  ns: fc.nat(8),
  kind: fc.constantFrom(
    "dev",
    "via",
    "via-dev",
    "default-via",
    "default-dev",
    "default6",
    "blackhole",
  ),
  pick: fc.nat(20),
  metric: fc.option(fc.constantFrom(0, 10, 200), { nil: undefined }),
  table: fc.option(fc.constantFrom("main" as const, 100 as const), { nil: undefined }),
});

export function rawTopology(maxNamespaces: number, maxLinks = 7): fc.Arbitrary<RawTopology> {
  return fc.record({
    nsCount: fc.integer({ min: 0, max: maxNamespaces }),
    lo: fc.array(
      fc.option(fc.oneof(fc.boolean(), fc.constant("absent" as const)), { nil: undefined }),
      {
        minLength: maxNamespaces,
        maxLength: maxNamespaces,
      },
    ),
    rootLo: fc.boolean(),
    links: fc.array(rawLink, { maxLength: maxLinks }),
    eth0Port: port,
    eth0V4: hosts(1),
    routes: fc.array(rawRoute, { maxLength: 5 }),
  });
}

interface Built {
  ns: string;
  name: string;
  link: LinkInput;
  /** Subnet index of the link (for addresses and gateways). */
  subnet: number;
  /** Effective administrative state after apply (eth0 stays up). */
  up: boolean;
  hasV4: boolean;
  hasV6: boolean;
}

/** Builds a valid manifest value from raw choices. */
export function buildTopology(raw: RawTopology, opts: TopologyOptions): TopologyInput {
  const nsNames = [
    "root",
    ...Array.from({ length: raw.nsCount }, (_, i) => `${opts.nsPrefix}${i}`),
  ];
  // Namespaces that links may go to: root only when allowed, else the named ones.
  const linkNs = opts.useRoot || raw.nsCount === 0 ? nsNames : nsNames.slice(1);
  const namespaces: Record<string, { links: Record<string, LinkInput>; routes: RouteInput[] }> = {};
  for (const ns of nsNames) namespaces[ns] = { links: {}, routes: [] };
  const built: Built[] = [];
  const eth0: Built | undefined = opts.useRoot
    ? {
      ns: "root",
      name: "eth0",
      link: { kind: "existing" },
      subnet: opts.subnetBase,
      up: true,
      hasV4: false,
      hasV6: false,
    }
    : undefined;
  if (eth0 && raw.eth0V4.length > 0) {
    eth0.link.addresses = raw.eth0V4.map((h) => `10.${opts.subnetBase}.0.${h}/24`);
    eth0.hasV4 = true;
  }
  // Parent bookkeeping: which slave kind a parent carries.
  const carries = new Map<Built, "ipvlan" | "macvlan">();
  const parentCandidates = (): Built[] =>
    [...(eth0 ? [eth0] : []), ...built].filter((b) =>
      (b.link.kind === "dummy" || b.link.kind === "veth" || b.link.kind === "existing") &&
      b.link.master === undefined
    );
  const refTo = (from: string, b: Built) => (from === b.ns ? b.name : `${b.ns}/${b.name}`);
  const addrs = (subnet: number, v4: number[], v6: number[]) => [
    ...v4.map((h) => `10.${subnet}.0.${h}/24`),
    ...v6.map((h) => `fd00:${subnet}::${h.toString(16)}/64`),
  ];

  raw.links.forEach((r, i) => {
    const ns = linkNs[r.ns % linkNs.length]!;
    const name = `${opts.linkPrefix}${i}`;
    const subnet = opts.subnetBase + 1 + 2 * i;
    const common = (
      up: boolean | undefined,
      mtu: number | undefined,
      v4: number[],
      v6: number[],
    ) => {
      const l: Record<string, unknown> = {};
      if (up !== undefined) l.up = up;
      if (mtu !== undefined) l.mtu = mtu;
      const a = addrs(subnet, v4, v6);
      if (a.length > 0) l.addresses = a;
      return l;
    };
    const push = (b: Omit<Built, "hasV4" | "hasV6">, v4: number[], v6: number[]) => {
      const full = { ...b, hasV4: v4.length > 0, hasV6: v6.length > 0 };
      built.push(full);
      namespaces[b.ns]!.links[b.name] = b.link;
    };
    switch (r.kind) {
      case "dummy":
      case "bridge": {
        const link = { kind: r.kind, ...common(r.up, r.mtu, r.v4, r.v6) } as LinkInput;
        push({ ns, name, link, subnet, up: r.up ?? true }, r.v4, r.v6);
        return;
      }
      case "ipvlan":
      case "macvlan": {
        const cands = parentCandidates().filter((b) => {
          const c = carries.get(b);
          return c === undefined || c === r.kind;
        });
        if (cands.length === 0) {
          // No usable parent: make it a dummy instead.
          const link = { kind: "dummy", ...common(r.up, r.mtu, r.v4, r.v6) } as LinkInput;
          push({ ns, name, link, subnet, up: r.up ?? true }, r.v4, r.v6);
          return;
        }
        const parent = cands[r.pick % cands.length]!;
        carries.set(parent, r.kind);
        if (r.kind === "ipvlan") {
          if (r.port && parent.link.ipvlan === undefined) parent.link.ipvlan = { ...r.port };
          const link = {
            kind: "ipvlan",
            parent: refTo(ns, parent),
            ...common(r.up, undefined, r.v4, r.v6),
          } as LinkInput;
          push({ ns, name, link, subnet, up: r.up ?? true }, r.v4, r.v6);
        } else {
          const parentMtu = parent === eth0 ? 1500 : parent.link.mtu;
          const mtu = r.mtu !== undefined && parentMtu !== undefined
            ? Math.min(r.mtu, parentMtu)
            : undefined;
          const link = {
            kind: "macvlan",
            parent: refTo(ns, parent),
            mode: r.macvlanMode,
            ...common(r.up, mtu, r.v4, r.v6),
          } as LinkInput;
          push({ ns, name, link, subnet, up: r.up ?? true }, r.v4, r.v6);
        }
        return;
      }
      case "veth": {
        const ns2 = linkNs[r.ns2 % linkNs.length]!;
        const peerName = `${name}p`;
        const peerSubnet = subnet + 1;
        const bridges = (n: string) => built.filter((b) => b.ns === n && b.link.kind === "bridge");
        const a = {
          kind: "veth",
          peer: ns2 === ns ? peerName : `${ns2}/${peerName}`,
          ...common(r.up, r.mtu, r.v4, r.v6),
        } as LinkInput;
        const bA = bridges(ns);
        if (r.bridgePort && bA.length > 0) a.master = bA[r.pick % bA.length]!.name;
        const bl: Record<string, unknown> = {};
        if (r.peerUp !== undefined) bl.up = r.peerUp;
        if (r.peerMtu !== undefined) bl.mtu = r.peerMtu;
        if (r.peerV4.length > 0) bl.addresses = r.peerV4.map((h) => `10.${peerSubnet}.0.${h}/24`);
        const b = { kind: "veth", peer: ns2 === ns ? name : `${ns}/${name}`, ...bl } as LinkInput;
        const bB = bridges(ns2);
        if (!r.bridgePort && r.pick % 2 === 1 && bB.length > 0) {
          b.master = bB[r.pick % bB.length]!.name;
        }
        push({ ns, name, link: a, subnet, up: r.up ?? true }, r.v4, r.v6);
        push(
          { ns: ns2, name: peerName, link: b, subnet: peerSubnet, up: r.peerUp ?? true },
          r.peerV4,
          [],
        );
        return;
      }
    }
  });

  // lo in named namespaces (explicit up/down or default), and sometimes root's lo untouched.
  nsNames.slice(1).forEach((ns, i) => {
    const choice = raw.lo[i];
    if (choice === "absent") return;
    namespaces[ns]!.links.lo = choice === undefined
      ? { kind: "loopback" }
      : { kind: "loopback", up: choice };
  });
  if (opts.useRoot && raw.rootLo) namespaces.root!.links.lo = { kind: "loopback" };
  if (eth0) {
    const carried = carries.get(eth0);
    if (carried === "ipvlan" && raw.eth0Port) eth0.link.ipvlan = { ...raw.eth0Port };
    if (carried || eth0.link.addresses || eth0.link.ipvlan) namespaces.root!.links.eth0 = eth0.link;
  }

  // Routes.
  const routeNs = opts.useRoot ? nsNames : nsNames.slice(1);
  const all = [...(eth0 && namespaces.root!.links.eth0 ? [eth0] : []), ...built];
  const seen = new Set<string>();
  raw.routes.forEach((r, k) => {
    if (routeNs.length === 0) return;
    const ns = routeNs[r.ns % routeNs.length]!;
    const upLinks = all.filter((b) => b.ns === ns && b.up);
    const v4Links = upLinks.filter((b) => b.hasV4);
    const v6Links = upLinks.filter((b) => b.hasV6);
    let route: RouteInput | undefined;
    let family = 4;
    switch (r.kind) {
      case "dev":
      case "default-dev": {
        if (upLinks.length === 0) break;
        const dev = upLinks[r.pick % upLinks.length]!;
        const to = r.kind === "dev" ? `192.168.${opts.routeOctet + k}.0/24` : "default";
        route = { to, dev: dev.name };
        break;
      }
      case "via":
      case "via-dev":
      case "default-via": {
        if (v4Links.length === 0) break;
        const gw = v4Links[r.pick % v4Links.length]!;
        const to = r.kind === "default-via" ? "default" : `172.${opts.routeOctet}.${k}.0/24`;
        route = { to, via: `10.${gw.subnet}.0.254` };
        if (r.kind === "via-dev") route.dev = gw.name;
        break;
      }
      case "default6": {
        family = 6;
        if (v6Links.length === 0) break;
        const gw = v6Links[r.pick % v6Links.length]!;
        route = r.pick % 2 === 0
          ? { to: "::/0", via: `fd00:${gw.subnet}::fe` }
          : { to: "::/0", dev: gw.name };
        break;
      }
      case "blackhole":
        route = { to: `192.0.2.${opts.routeOctet + k}/32`, type: "blackhole" };
        break;
    }
    if (!route) return;
    // An IPv6 route with metric 0 is stored with 1024 (IP6_RT_PRIO_USER); the
    // normalizer does the same, so metric 0 is generated for both families.
    if (r.metric !== undefined) route.metric = r.metric;
    if (r.table !== undefined) route.table = r.table;
    const to = route.to === "default" ? "0.0.0.0/0" : route.to;
    const metric = family === 6 && (r.metric ?? 0) === 0 ? 1024 : r.metric ?? 0;
    const key = `${r.table === 100 ? 100 : 254} ${to} ${metric}`;
    if (seen.has(key)) return;
    seen.add(key);
    namespaces[ns]!.routes.push(route);
  });

  const out: Record<string, NamespaceInput> = {};
  for (const [ns, v] of Object.entries(namespaces)) {
    const n: { links?: Record<string, LinkInput>; routes?: RouteInput[] } = {};
    if (Object.keys(v.links).length > 0) n.links = v.links;
    if (v.routes.length > 0) n.routes = v.routes;
    out[ns] = n;
  }
  return { name: opts.name, namespaces: out };
}

export const TARGET: TopologyOptions = {
  name: "t",
  nsPrefix: "n",
  linkPrefix: "l",
  subnetBase: 0,
  routeOctet: 16,
  useRoot: true,
  maxNamespaces: 4,
};

/** Another topology: own namespaces and names, never eth0, no routes in root. */
export const OTHER: TopologyOptions = {
  name: "o",
  nsPrefix: "m",
  linkPrefix: "o",
  subnetBase: 100,
  routeOctet: 24,
  useRoot: false,
  maxNamespaces: 2,
};

export const validTopology = (opts: TopologyOptions, maxLinks = 7): fc.Arbitrary<TopologyInput> =>
  rawTopology(opts.maxNamespaces, maxLinks).map((raw) => buildTopology(raw, opts));

/** Foreign objects, created directly with driver operations (no ownership alias). */
export function foreignOperations(which: { dummy: boolean; namespace: boolean }): Operation[] {
  const ops: Operation[] = [];
  if (which.dummy) {
    ops.push(
      { op: "link.create", link: { namespace: "root", name: "foreign0", kind: "dummy", up: true } },
      {
        op: "address.add",
        namespace: "root",
        link: "foreign0",
        cidr: "198.51.100.1/24",
        protocol: 4,
      },
      {
        op: "route.add",
        namespace: "root",
        route: {
          to: "203.0.113.0/24",
          type: "unicast",
          via: "198.51.100.254",
          metric: 0,
          table: 254,
          protocol: 4,
        },
      },
    );
  }
  if (which.namespace) {
    ops.push(
      { op: "namespace.create", namespace: "x9" },
      { op: "link.create", link: { namespace: "x9", name: "fx", kind: "dummy", up: false } },
    );
  }
  return ops;
}

/** A random starting state: what exists on the host before the desired topology is planned. */
export interface Scenario {
  desired: TopologyInput;
  /** Applied first under the same name, so the plan must update, replace and delete. */
  previous: TopologyInput | undefined;
  /** Applied before everything, under another name: must be left alone. */
  other: TopologyInput | undefined;
  foreign: { dummy: boolean; namespace: boolean };
}

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  desired: validTopology(TARGET),
  previous: fc.option(validTopology(TARGET), { nil: undefined }),
  other: fc.option(validTopology(OTHER, 4), { nil: undefined }),
  foreign: fc.record({ dummy: fc.boolean(), namespace: fc.boolean() }),
});
