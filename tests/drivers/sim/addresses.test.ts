import assert from "node:assert/strict";
import { assertRefused, create, host, ipvlan, link } from "./helpers.ts";

const add = (namespace: string, l: string, cidr: string) =>
  ({ op: "address.add", namespace, link: l, cidr, protocol: 150 }) as const;

Deno.test("address add refuses duplicates, bad CIDRs and missing links", async (t) => {
  await t.step("the same address twice on a link is EEXIST", () => {
    const k = host();
    k.execute(add("root", "eth0", "10.0.0.1/24"));
    assertRefused(k, add("root", "eth0", "10.0.0.1/24"), "EEXIST");
  });
  await t.step("an IPv6 address twice, whatever the prefix, is EEXIST", () => {
    const k = host();
    k.execute(add("root", "eth0", "2001:db8::1/64"));
    assertRefused(k, add("root", "eth0", "2001:db8::1/80"), "EEXIST");
  });
  for (const bad of ["10.0.0.1", "10.0.0.300/24", "10.0.0.1/33", "nope/8"]) {
    await t.step(
      `"${bad}" is EINVAL`,
      () => assertRefused(host(), add("root", "eth0", bad), "EINVAL"),
    );
  }
  await t.step(
    "a missing link is ENODEV",
    () => assertRefused(host(), add("root", "eth9", "10.0.0.1/24"), "ENODEV"),
  );
});

Deno.test("an address on another slave of the same ipvlan port is EADDRINUSE in any namespace", () => {
  const k = host();
  k.execute(ipvlan("i1", "ns1"));
  k.execute(ipvlan("i2", "ns2"));
  k.execute(add("ns1", "i1", "10.0.0.2/24"));
  assertRefused(
    k,
    add("ns2", "i2", "10.0.0.2/32"),
    "EADDRINUSE",
    "Address already assigned to an ipvlan device",
  );
  k.execute(add("ns2", "i2", "10.0.0.3/24"));
  k.execute(add("root", "eth0", "10.0.0.2/24")); // the master's own addresses are not checked
});

Deno.test("the same IPv4 address on two ipvlan ports is fine", () => {
  const k = host();
  k.execute(ipvlan("i1", "ns1"));
  k.execute({
    op: "link.create",
    link: { namespace: "root", name: "d0", kind: "dummy", up: false },
  });
  k.execute({
    op: "link.create",
    link: {
      namespace: "ns2",
      name: "i2",
      kind: "ipvlan",
      up: false,
      parent: { namespace: "root", name: "d0" },
    },
  });
  k.execute(add("ns1", "i1", "10.0.0.2/24"));
  k.execute(add("ns2", "i2", "10.0.0.2/24"));
});

Deno.test("deleting a missing address is EADDRNOTAVAIL", () => {
  const k = host();
  k.execute(add("root", "eth0", "10.0.0.1/24"));
  assertRefused(
    k,
    { op: "address.delete", namespace: "root", link: "eth0", cidr: "10.0.0.1/16" },
    "EADDRNOTAVAIL",
  );
  k.execute({ op: "address.delete", namespace: "root", link: "eth0", cidr: "10.0.0.1/24" });
  assert.deepEqual(link(k, "root", "eth0")!.addresses, []);
});

Deno.test("bringing lo up adds 127.0.0.1/8 and ::1/128 as the kernel reports them", () => {
  const k = host();
  k.execute({ op: "link.update", namespace: "ns1", name: "lo", changes: { up: true } });
  assert.deepEqual(link(k, "ns1", "lo")!.addresses, [
    { cidr: "127.0.0.1/8", protocol: 0 },
    { cidr: "::1/128", protocol: 1 },
  ]);
  assert.deepEqual(k.state.namespaces.ns1!.routes, [], "lo's prefix route lives in table local");
});

Deno.test("addresses are stored normalized", () => {
  const k = host();
  k.execute(add("root", "eth0", "2001:DB8:0:0::1/64"));
  assert.equal(link(k, "root", "eth0")!.addresses[0]!.cidr, "2001:db8::1/64");
});

Deno.test("IPv6 addresses go when their link goes down (keep_addr_on_down is 0); IPv4 ones stay", () => {
  // addrconf_ifdown on NETDEV_DOWN; seen on 6.18 with `ip link set v0 down` (found by the
  // differential run).
  const k = host();
  k.execute(create({ namespace: "ns1", name: "d0", kind: "dummy", up: true }));
  for (const cidr of ["10.0.0.1/24", "fd00::1/64"]) {
    k.execute({ op: "address.add", namespace: "ns1", link: "d0", cidr, protocol: 150 });
  }
  k.execute({ op: "link.update", namespace: "ns1", name: "d0", changes: { up: false } });
  assert.deepEqual(link(k, "ns1", "d0")?.addresses.map((a) => a.cidr), ["10.0.0.1/24"]);
});

Deno.test("lo takes any MTU; below 1280 it loses IPv6, below 68 IPv4 too, and refuses IPv4 with ENOBUFS", () => {
  // loopback_setup sets no min_mtu; addrconf_notify and inetdev_event react to NETDEV_CHANGEMTU.
  // Checked on 6.18: `ip link set lo mtu 60` succeeds and empties `ip addr show lo`.
  const k = host();
  const lo = (changes: { mtu?: number; up?: boolean }) =>
    k.execute({ op: "link.update", namespace: "ns1", name: "lo", changes });
  lo({ up: true });
  k.execute({ op: "address.add", namespace: "ns1", link: "lo", cidr: "fd00::1/64", protocol: 150 });
  lo({ mtu: 1000 });
  assert.deepEqual(link(k, "ns1", "lo")?.addresses.map((a) => a.cidr), ["127.0.0.1/8"]);
  lo({ mtu: 60 });
  assert.deepEqual(link(k, "ns1", "lo")?.addresses, []);
  assertRefused(
    k,
    { op: "address.add", namespace: "ns1", link: "lo", cidr: "10.0.0.1/24", protocol: 150 },
    "ENOBUFS",
  );
  lo({ mtu: 65536 });
  k.execute({
    op: "address.add",
    namespace: "ns1",
    link: "lo",
    cidr: "10.0.0.1/24",
    protocol: 150,
  });
});

Deno.test("deleting a primary IPv4 address deletes its secondaries (promote_secondaries is 0)", () => {
  // __inet_del_ifa; found by the differential run on 6.1: after the primary 10.1.0.1/24 was
  // deleted, deleting 10.1.0.2/24 was EADDRNOTAVAIL. Another prefix length is its own primary.
  const k = host();
  k.execute(create({ namespace: "ns1", name: "d0", kind: "dummy", up: true }));
  for (const cidr of ["10.1.0.1/24", "10.1.0.2/24", "10.1.0.3/16", "10.1.0.4/24"]) {
    k.execute({ op: "address.add", namespace: "ns1", link: "d0", cidr, protocol: 150 });
  }
  const del = (cidr: string) =>
    ({ op: "address.delete", namespace: "ns1", link: "d0", cidr }) as const;
  k.execute(del("10.1.0.2/24")); // a secondary: only itself
  assert.deepEqual(link(k, "ns1", "d0")?.addresses.map((a) => a.cidr), [
    "10.1.0.1/24",
    "10.1.0.3/16",
    "10.1.0.4/24",
  ]);
  k.execute(del("10.1.0.1/24"));
  assert.deepEqual(link(k, "ns1", "d0")?.addresses.map((a) => a.cidr), ["10.1.0.3/16"]);
  assertRefused(k, del("10.1.0.4/24"), "EADDRNOTAVAIL");
});
