/**
 * fast-check generators of raw driver operations for the differential suite: short sequences
 * over a tiny universe (three namespaces, four link names, a handful of addresses and routes),
 * so that names collide, parents go missing, addresses repeat and masters are deleted under
 * their slaves. Valid and invalid operations alike: the point is that the simulator and the
 * kernel agree on each one.
 *
 * Namespaces are written as `a`, `b`, `c` and given the case's prefix by
 * {@linkcode inNamespaces}, so a counterexample reads short.
 *
 * @module
 */
import fc from "fast-check";
import type { LinkChanges, LinkSpec, Operation } from "../../../src/model/operations.ts";
import type { Route } from "../../../src/model/state.ts";

const NAMESPACES = ["a", "b", "c"] as const;
const NAMES = ["x0", "x1", "x2", "lo"] as const;
const MODES = ["l2", "l3", "l3s"] as const;
const FLAGS = ["bridge", "private", "vepa"] as const;
const MACVLAN_MODES = ["bridge", "vepa", "private", "passthru"] as const;
/** 60 is below every device's minimum, 65536 above a virtual device's maximum. */
const MTUS = [1280, 1500, 9000, 60, 65536] as const;
const CIDRS = ["10.0.0.1/24", "10.0.0.2/24", "10.0.0.1/16", "10.1.0.1/24", "fd00::1/64"] as const;
const DESTINATIONS = ["10.5.0.0/24", "0.0.0.0/0", "fd05::/64", "10.0.0.0/24"] as const;
const GATEWAYS = ["10.0.0.254", "10.9.9.9", "10.1.0.254", "fd00::fe"] as const;
const ALIASES = ["netform:t", "", "x".repeat(300)] as const;
/** The kinds a kernel may lack (the host's has neither). */
export type OptionalKind = "ipvlan" | "dummy";

const ns = fc.constantFrom(...NAMESPACES);
const name = fc.constantFrom(...NAMES);
const opt = <T>(a: fc.Arbitrary<T>, freq = 2) => fc.option(a, { nil: undefined, freq });
/** Now and then a name with "%", which the kernel reads as a template: both drivers refuse it. */
const createName = fc.oneof(
  { weight: 9, arbitrary: name },
  { weight: 1, arbitrary: fc.constantFrom("x%d", "x%s") },
);
const port = fc.record({ mode: fc.constantFrom(...MODES), flags: fc.constantFrom(...FLAGS) });

/** `T` with its possibly-undefined keys made optional instead (exactOptionalPropertyTypes). */
type Defined<T> =
  & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
  & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

/** Drops the keys whose value is `undefined`. */
function defined<T extends object>(o: T): Defined<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Defined<T>;
}

function linkCreate(kinds: readonly LinkSpec["kind"][]): fc.Arbitrary<Operation> {
  return fc.record({
    kind: fc.constantFrom(...kinds),
    namespace: ns,
    name: createName,
    up: fc.boolean(),
    mtu: opt(fc.constantFrom(...MTUS), 4),
    alias: opt(fc.constantFrom(...ALIASES), 4),
    master: opt(name, 3),
    parent: fc.record({ namespace: ns, name }),
    ipvlan: opt(port, 4),
    macvlanMode: opt(fc.constantFrom(...MACVLAN_MODES), 4),
    peer: fc.record({ namespace: ns, name: createName, up: fc.boolean(), master: opt(name, 4) }),
  }).map((r): Operation => {
    const link: LinkSpec = defined({
      namespace: r.namespace,
      name: r.name,
      kind: r.kind,
      up: r.up,
      mtu: r.mtu,
      alias: r.alias,
      master: r.master,
    });
    if (r.kind === "ipvlan" || r.kind === "macvlan") link.parent = r.parent;
    if (r.kind === "ipvlan" && r.ipvlan) link.ipvlan = r.ipvlan;
    if (r.kind === "macvlan" && r.macvlanMode) link.macvlanMode = r.macvlanMode;
    if (r.kind === "veth") link.peer = defined(r.peer);
    return { op: "link.create", link };
  });
}

const linkUpdate: fc.Arbitrary<Operation> = fc.record({
  namespace: ns,
  name,
  up: opt(fc.boolean(), 1),
  mtu: opt(fc.constantFrom(...MTUS), 4),
  alias: opt(fc.constantFrom<string | null>(...ALIASES, null), 4),
  master: opt(fc.constantFrom<string | null>(...NAMES, null), 3),
  ipvlan: opt(port, 4),
  macvlanMode: opt(fc.constantFrom(...MACVLAN_MODES), 4),
}).map((r): Operation => {
  const changes: LinkChanges = defined({
    up: r.up,
    mtu: r.mtu,
    alias: r.alias,
    master: r.master,
    ipvlan: r.ipvlan,
    // One kind's data per request: the live driver sends ipvlan's when both are given.
    macvlanMode: r.ipvlan ? undefined : r.macvlanMode,
  });
  return { op: "link.update", namespace: r.namespace, name: r.name, changes };
});

const route: fc.Arbitrary<Route> = fc.record({
  to: fc.constantFrom(...DESTINATIONS),
  type: fc.constantFrom("unicast" as const, "unicast" as const, "blackhole" as const),
  via: opt(fc.constantFrom(...GATEWAYS), 2),
  dev: opt(name, 2),
  metric: fc.constantFrom(0, 10),
  table: fc.constantFrom(254, 254, 100),
  // `ip route add` marks its routes `proto boot` (3); netform's are 150.
  protocol: fc.constantFrom(3, 150),
}).map((r) => {
  const v6 = r.to.includes(":");
  // An IPv6 route with metric 0 is stored with 1024 (IP6_RT_PRIO_USER) by both.
  return defined({
    to: r.to,
    type: r.type,
    via: r.via,
    dev: r.dev,
    metric: v6 && r.metric === 0 ? 1024 : r.metric,
    table: r.table,
    protocol: r.protocol,
  });
});

/** One random operation; `kinds` are the link kinds the kernel under test has. */
export function operation(kinds: readonly LinkSpec["kind"][]): fc.Arbitrary<Operation> {
  return fc.oneof(
    { weight: 1, arbitrary: ns.map((n): Operation => ({ op: "namespace.create", namespace: n })) },
    { weight: 1, arbitrary: ns.map((n): Operation => ({ op: "namespace.delete", namespace: n })) },
    { weight: 8, arbitrary: linkCreate(kinds) },
    { weight: 4, arbitrary: linkUpdate },
    {
      weight: 2,
      arbitrary: fc.record({ namespace: ns, name }).map((r): Operation => ({
        op: "link.delete",
        ...r,
      })),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        namespace: ns,
        link: name,
        cidr: fc.constantFrom(...CIDRS),
        replace: fc.boolean(),
        // `ip addr add` sends no protocol (0), netform 150: a replace from one to the other is
        // how an address is adopted, and what Linux 6.1 ignores for IPv4.
        protocol: fc.constantFrom(0, 150),
      }).map((r): Operation => ({ op: "address.add", ...r })),
    },
    {
      weight: 1,
      arbitrary: fc.record({ namespace: ns, link: name, cidr: fc.constantFrom(...CIDRS) })
        .map((r): Operation => ({ op: "address.delete", ...r })),
    },
    {
      weight: 3,
      arbitrary: fc.record({ namespace: ns, route, replace: fc.boolean() })
        .map((r): Operation => ({ op: "route.add", ...r })),
    },
    {
      weight: 1,
      arbitrary: fc.record({ namespace: ns, route }).map((r): Operation => ({
        op: "route.delete",
        ...r,
      })),
    },
  );
}

/** A sequence: namespaces `a` and `b` first, then `min`..`max` random operations. */
export function operationSequence(
  kinds: readonly LinkSpec["kind"][],
  length = { min: 3, max: 10 },
): fc.Arbitrary<Operation[]> {
  return fc.array(operation(kinds), { minLength: length.min, maxLength: length.max }).map((
    ops,
  ) => [
    { op: "namespace.create", namespace: "a" },
    { op: "namespace.create", namespace: "b" },
    ...ops,
  ]);
}

/** `op` with every namespace (and parent or peer namespace) given `prefix`. */
export function inNamespaces(op: Operation, prefix: string): Operation {
  const p = (n: string) => prefix + n;
  switch (op.op) {
    case "namespace.create":
    case "namespace.delete":
      return { ...op, namespace: p(op.namespace) };
    case "link.create": {
      const link: LinkSpec = { ...op.link, namespace: p(op.link.namespace) };
      if (op.link.parent) {
        link.parent = { ...op.link.parent, namespace: p(op.link.parent.namespace) };
      }
      if (op.link.peer) link.peer = { ...op.link.peer, namespace: p(op.link.peer.namespace) };
      return { op: "link.create", link };
    }
    default:
      return { ...op, namespace: p(op.namespace) };
  }
}
