/**
 * Fixed operation sequences for the differential suite: the kernel facts the simulator was
 * corrected on, and the ipvlan rules it enforces, replayed on the real kernel every run (random
 * sequences may or may not hit them). Namespaces `a`, `b`, `c` get the case's prefix, as in
 * ./_operations.ts.
 *
 * @module
 */
import type { LinkSpec, Operation } from "../../../src/model/operations.ts";
import type { IpvlanPort, Route } from "../../../src/model/state.ts";

const ns = (namespace: string): Operation => ({ op: "namespace.create", namespace });
const make = (
  link: Partial<LinkSpec> & Pick<LinkSpec, "namespace" | "name" | "kind">,
): Operation => ({
  op: "link.create",
  link: { up: false, ...link },
});
const slave = (namespace: string, name: string, parent: string, ipvlan?: IpvlanPort) =>
  make({
    namespace,
    name,
    kind: "ipvlan",
    up: true,
    parent: { namespace: parent.split("/")[0]!, name: parent.split("/")[1]! },
    ...(ipvlan ? { ipvlan } : {}),
  });
const update = (namespace: string, name: string, changes: object): Operation => ({
  op: "link.update",
  namespace,
  name,
  changes,
});
const address = (namespace: string, link: string, cidr: string): Operation => ({
  op: "address.add",
  namespace,
  link,
  cidr,
  protocol: 150,
});
const route = (namespace: string, r: Partial<Route> & Pick<Route, "to">): Operation => ({
  op: "route.add",
  namespace,
  route: { type: "unicast", metric: 0, table: 254, protocol: 150, ...r },
});

/** An address as `ip addr add` makes it (no protocol), or replaced with `protocol`. */
const byHand = (namespace: string, link: string, cidr: string, protocol = 0): Operation => ({
  op: "address.add",
  namespace,
  link,
  cidr,
  protocol,
  ...(protocol === 0 ? {} : { replace: true }),
});

export const SEQUENCES: Record<string, Operation[]> = {
  "adoption: a replace marks an IPv6 address but (before 6.4) not an IPv4 one; delete and add does; a route is marked by replace":
    [
      ns("a"),
      make({ namespace: "a", name: "x0", kind: "dummy", up: true }),
      byHand("a", "x0", "10.0.0.1/24"),
      byHand("a", "x0", "10.0.0.2/24"),
      byHand("a", "x0", "fd00::1/64"),
      route("a", { to: "10.5.0.0/24", via: "10.0.0.254", dev: "x0", protocol: 3 }),
      byHand("a", "x0", "10.0.0.1/24", 150),
      byHand("a", "x0", "10.0.0.2/24", 150),
      byHand("a", "x0", "fd00::1/64", 150),
      {
        op: "route.add",
        namespace: "a",
        replace: true,
        route: {
          type: "unicast",
          metric: 0,
          table: 254,
          protocol: 150,
          to: "10.5.0.0/24",
          via: "10.0.0.254",
          dev: "x0",
        },
      },
      { op: "address.delete", namespace: "a", link: "x0", cidr: "10.0.0.2/24" },
      address("a", "x0", "10.0.0.2/24"),
      byHand("a", "x0", "fd00::1/64", 0),
    ],
  "a bridge that lost its last port is refused as a port with EINVAL (zero MAC), a fresh one with ELOOP":
    [
      ns("a"),
      make({ namespace: "a", name: "x0", kind: "bridge" }),
      make({ namespace: "a", name: "x1", kind: "bridge" }),
      update("a", "x0", { master: "x1" }),
      make({
        namespace: "a",
        name: "x2",
        kind: "veth",
        peer: { namespace: "a", name: "x3", up: false },
      }),
      update("a", "x2", { master: "x0" }),
      update("a", "x2", { master: null }),
      update("a", "x0", { master: "x1" }),
      update("a", "x0", { master: "x0" }),
      update("a", "x2", { master: "x0" }),
      { op: "link.delete", namespace: "a", name: "x2" },
      update("a", "x0", { master: "x1" }),
    ],
  "ipvlan: slaves in two namespaces, mode and flags changed through either, master deleted under them":
    [
      ns("a"),
      ns("b"),
      ns("c"),
      make({ namespace: "a", name: "x0", kind: "dummy", up: true }),
      slave("b", "x1", "a/x0", { mode: "l2", flags: "bridge" }),
      slave("c", "x1", "a/x0", { mode: "l3", flags: "private" }),
      update("b", "x1", { ipvlan: { mode: "l3s", flags: "vepa" } }),
      update("c", "x1", { ipvlan: { mode: "l2", flags: "bridge" }, up: false }),
      update("c", "x1", { up: true }),
      slave("b", "x2", "b/x1"),
      { op: "link.delete", namespace: "a", name: "x0" },
    ],
  "ipvlan: an address is unique per port across namespaces (EADDRINUSE), per family": [
    ns("a"),
    ns("b"),
    make({ namespace: "a", name: "x0", kind: "dummy", up: true }),
    slave("a", "x1", "a/x0", { mode: "l2", flags: "bridge" }),
    slave("b", "x1", "a/x0", { mode: "l2", flags: "bridge" }),
    address("a", "x1", "10.0.0.1/24"),
    address("b", "x1", "10.0.0.1/16"),
    address("b", "x1", "fd00::1/64"),
    address("a", "x1", "fd00::1/64"),
    address("a", "x0", "10.0.0.1/24"),
  ],
  "6.1 name lookup: a slave named like a link in its parent's namespace": [
    ns("a"),
    ns("b"),
    make({ namespace: "a", name: "x0", kind: "dummy", up: true }),
    slave("b", "x0", "a/x0", { mode: "l3", flags: "bridge" }),
    make({ namespace: "b", name: "x1", kind: "macvlan", parent: { namespace: "a", name: "x0" } }),
    make({ namespace: "a", name: "x1", kind: "dummy" }),
    make({ namespace: "b", name: "x1", kind: "macvlan", parent: { namespace: "a", name: "x1" } }),
    slave("b", "x0", "a/x1"),
  ],
  "stacking: macvlan on an ipvlan master or slave, ipvlan on a macvlan lower or bridge port, a slave as a port":
    [
      ns("a"),
      make({ namespace: "a", name: "x0", kind: "dummy" }),
      slave("a", "x1", "a/x0"),
      make({ namespace: "a", name: "x2", kind: "macvlan", parent: { namespace: "a", name: "x0" } }),
      make({ namespace: "a", name: "x2", kind: "macvlan", parent: { namespace: "a", name: "x1" } }),
      make({ namespace: "a", name: "x2", kind: "bridge" }),
      update("a", "x1", { master: "x2" }),
      update("a", "x0", { master: "x2" }),
      make({ namespace: "a", name: "x3", kind: "dummy", master: "x2" }),
      slave("a", "lo", "a/x3"),
      slave("a", "x4", "a/lo"),
    ],
  "routes: unreachable gateways (IPv4 ENETUNREACH, IPv6 EHOSTUNREACH), reject routes, a down device":
    [
      ns("a"),
      make({
        namespace: "a",
        name: "x0",
        kind: "veth",
        up: true,
        peer: { namespace: "a", name: "x9", up: true },
      }),
      address("a", "x0", "10.0.0.1/24"),
      address("a", "x0", "fd00::1/64"),
      route("a", { to: "10.5.0.0/24", via: "10.9.9.9" }),
      route("a", { to: "fd05::/64", via: "fd09::9", metric: 1024 }),
      route("a", { to: "10.5.0.0/24", via: "10.0.0.254" }),
      route("a", { to: "fd05::/64", via: "fd00::fe", metric: 1024 }),
      route("a", { to: "fd06::/64", type: "blackhole", via: "fd00::fe", metric: 1024 }),
      route("a", { to: "10.6.0.0/24", type: "blackhole", dev: "x0" }),
      update("a", "x0", { up: false }),
      route("a", { to: "10.7.0.0/24", dev: "x0" }),
    ],
  "dummy: any MTU; below 1280 no IPv6 (EINVAL), below 68 no IPv4 (ENOBUFS); macvlans and bridges follow":
    [
      ns("a"),
      make({ namespace: "a", name: "x0", kind: "dummy", mtu: 65536, up: true }),
      make({ namespace: "a", name: "x1", kind: "dummy", mtu: 60 }),
      address("a", "x1", "10.0.0.1/24"),
      address("a", "x1", "fd00::1/64"),
      make({ namespace: "a", name: "x2", kind: "macvlan", parent: { namespace: "a", name: "x0" } }),
      address("a", "x2", "fd00::2/64"),
      update("a", "x0", { mtu: 1000 }),
      update("a", "x0", { mtu: 60 }),
      address("a", "x0", "fd00::3/64"),
      make({ namespace: "a", name: "x3", kind: "bridge" }),
      update("a", "x1", { master: "x3" }),
    ],
  "IPv4 secondaries go with their primary; another prefix length is a primary of its own": [
    ns("a"),
    make({ namespace: "a", name: "x0", kind: "bridge", up: true }),
    address("a", "x0", "10.1.0.1/24"),
    address("a", "x0", "10.1.0.2/24"),
    address("a", "x0", "10.1.0.3/16"),
    address("a", "x0", "10.1.0.4/24"),
    { op: "address.delete", namespace: "a", link: "x0", cidr: "10.1.0.2/24" },
    { op: "address.delete", namespace: "a", link: "x0", cidr: "10.1.0.1/24" },
    { op: "address.delete", namespace: "a", link: "x0", cidr: "10.1.0.4/24" },
    address("a", "x0", "10.1.0.4/24"),
  ],
  "lo: any MTU; below 1280 no IPv6, below 68 no IPv4 (ENOBUFS)": [
    ns("a"),
    update("a", "lo", { up: true }),
    address("a", "lo", "fd00::1/64"),
    update("a", "lo", { mtu: 1000 }),
    address("a", "lo", "fd00::2/64"),
    update("a", "lo", { mtu: 60 }),
    address("a", "lo", "10.0.0.1/24"),
    update("a", "lo", { mtu: 65536 }),
    address("a", "lo", "10.0.0.1/24"),
    update("a", "lo", { up: false }),
    update("a", "lo", { up: true }),
  ],
};
