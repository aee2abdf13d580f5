import assert from "node:assert/strict";
import { assertRefused, create, host, route } from "./helpers.ts";
import type { Route } from "../../../src/model/state.ts";
import type { SimKernel } from "../../../src/drivers/sim/kernel.ts";

const add = (r: Route, namespace = "root", replace = false) =>
  ({ op: "route.add", namespace, route: r, replace }) as const;
const addr = (cidr: string, l = "eth0") =>
  ({ op: "address.add", namespace: "root", link: l, cidr, protocol: 150 }) as const;
const routes = (k: SimKernel, ns = "root") => k.state.namespaces[ns]!.routes;

Deno.test("an IPv4 address on an up link installs its prefix route in table main", () => {
  const k = host();
  k.execute(addr("10.0.0.5/24"));
  assert.deepEqual(routes(k), [{
    to: "10.0.0.0/24",
    type: "unicast",
    dev: "eth0",
    scope: "link",
    metric: 0,
    table: 254,
    src: "10.0.0.5",
    protocol: 2,
  }]);
});

Deno.test("a /32 and a /128 install no prefix route", () => {
  const k = host();
  k.execute(addr("10.0.0.5/32"));
  k.execute(addr("2001:db8::5/128"));
  assert.deepEqual(routes(k), []);
});

Deno.test("an IPv6 address installs a prefix route with metric 256", () => {
  const k = host();
  k.execute(addr("2001:db8::5/64"));
  assert.deepEqual(routes(k), [{
    to: "2001:db8::/64",
    type: "unicast",
    dev: "eth0",
    scope: "universe",
    metric: 256,
    table: 254,
    protocol: 2,
  }]);
});

Deno.test("prefix routes exist only while the link is up", () => {
  const k = host();
  k.execute(create({ name: "d0", kind: "dummy" }));
  k.execute(addr("10.1.0.1/24", "d0"));
  assert.deepEqual(routes(k), []);
  k.execute({ op: "link.update", namespace: "root", name: "d0", changes: { up: true } });
  assert.equal(routes(k).length, 1);
});

Deno.test("taking a link down removes every route through it", () => {
  const k = host();
  k.execute(addr("10.0.0.5/24"));
  k.execute(add(route("0.0.0.0/0", { via: "10.0.0.1" })));
  k.execute(add(route("192.168.0.0/16", { dev: "eth0" })));
  k.execute({ op: "link.update", namespace: "root", name: "eth0", changes: { up: false } });
  assert.deepEqual(routes(k), []);
});

Deno.test("a gateway route resolves its device and guesses scope universe", () => {
  const k = host();
  k.execute(addr("10.0.0.5/24"));
  k.execute(add(route("0.0.0.0/0", { via: "10.0.0.1" })));
  const r = routes(k).find((x) => x.to === "0.0.0.0/0")!;
  assert.equal(r.dev, "eth0");
  assert.equal(r.scope, "universe");
});

Deno.test("a device route guesses scope link", () => {
  const k = host();
  k.execute(add(route("192.168.0.0/16", { dev: "eth0" })));
  assert.equal(routes(k)[0]!.scope, "link");
});

Deno.test("route add refuses what fib_create_info and fib_table_insert refuse", async (t) => {
  const setup = () => {
    const k = host();
    k.execute(addr("10.0.0.5/24"));
    k.execute(create({ name: "d0", kind: "dummy" }));
    return k;
  };
  const cases: { name: string; r: Route; code: string; message?: string }[] = [
    {
      name: "an unreachable gateway",
      r: route("0.0.0.0/0", { via: "192.0.2.1" }),
      code: "ENETUNREACH",
      message: "Nexthop has invalid gateway",
    },
    {
      name: "a gateway not reachable through the given device",
      r: route("0.0.0.0/0", { via: "10.0.0.1", dev: "d0" }),
      code: "ENETUNREACH",
      message: "Nexthop has invalid gateway",
    },
    { name: "a missing device", r: route("192.168.0.0/16", { dev: "nope" }), code: "ENODEV" },
    {
      name: "a device that is down",
      r: route("192.168.0.0/16", { dev: "d0" }),
      code: "ENETDOWN",
      message: "Device for nexthop is not up",
    },
    { name: "neither device nor gateway", r: route("192.168.0.0/16"), code: "ENODEV" },
    {
      name: "host bits in the destination",
      r: route("192.168.0.1/16", { dev: "eth0" }),
      code: "EINVAL",
      message: "Invalid prefix for given prefix length",
    },
    {
      name: "a blackhole with a device",
      r: route("192.168.0.0/16", { type: "blackhole", dev: "eth0" }),
      code: "EINVAL",
      message: "Gateway, device and multipath can not be specified for this route type",
    },
    {
      name: "a preferred source that is not local",
      r: route("192.168.0.0/16", { dev: "eth0", src: "10.0.0.9" }),
      code: "EINVAL",
      message: "Invalid prefsrc address",
    },
    {
      name: "a gateway through a gateway route (not on-link)",
      r: route("172.16.0.0/12", { via: "198.51.100.1" }),
      code: "ENETUNREACH",
    },
    {
      name: "an IPv6 route through a device that is down",
      r: route("2001:db8:1::/64", { dev: "d0" }),
      code: "ENETDOWN",
      message: "Nexthop device is not up",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const k = setup();
      k.execute(add(route("198.51.100.0/24", { via: "10.0.0.1" })));
      assertRefused(k, add(c.r), c.code, c.message);
    });
  }
});

Deno.test("a route with the same table, destination and metric is EEXIST unless replaced", () => {
  const k = host();
  k.execute(addr("10.0.0.5/24"));
  k.execute(add(route("0.0.0.0/0", { via: "10.0.0.1" })));
  assertRefused(k, add(route("0.0.0.0/0", { via: "10.0.0.2" })), "EEXIST");
  k.execute(add(route("0.0.0.0/0", { via: "10.0.0.2", metric: 100 })));
  k.execute(add(route("0.0.0.0/0", { via: "10.0.0.3" }), "root", true));
  const defaults = routes(k).filter((r) => r.to === "0.0.0.0/0").map((r) => [r.via, r.metric]);
  assert.deepEqual(defaults, [["10.0.0.3", 0], ["10.0.0.2", 100]]);
});

Deno.test("an IPv6 route sent with metric 0 gets the kernel's 1024", () => {
  const k = host();
  k.execute(addr("2001:db8::5/64"));
  k.execute(add(route("::/0", { via: "2001:db8::1" })));
  const r = routes(k).find((x) => x.to === "::/0")!;
  assert.equal(r.metric, 1024);
  assert.equal(r.dev, "eth0");
});

Deno.test("deleting a missing route is ESRCH", () => {
  const k = host();
  k.execute(addr("10.0.0.5/24"));
  assertRefused(k, { op: "route.delete", namespace: "root", route: route("0.0.0.0/0") }, "ESRCH");
  k.execute(add(route("0.0.0.0/0", { via: "10.0.0.1" })));
  k.execute({
    op: "route.delete",
    namespace: "root",
    route: route("0.0.0.0/0", { via: "10.0.0.1" }),
  });
  assert.deepEqual(routes(k).map((r) => r.to), ["10.0.0.0/24"]);
});

Deno.test("deleting a link removes its addresses and every route through it", () => {
  const k = host();
  k.execute(create({ name: "d0", kind: "dummy", up: true }));
  k.execute(addr("10.1.0.1/24", "d0"));
  k.execute(add(route("10.2.0.0/16", { via: "10.1.0.254" })));
  k.execute({ op: "link.delete", namespace: "root", name: "d0" });
  assert.deepEqual(routes(k), []);
});

Deno.test("deleting the last IPv4 address of a link removes the IPv4 routes through it", () => {
  const k = host();
  k.execute(addr("10.0.0.5/24"));
  k.execute(add(route("10.2.0.0/16", { via: "10.0.0.254" })));
  k.execute({ op: "address.delete", namespace: "root", link: "eth0", cidr: "10.0.0.5/24" });
  assert.deepEqual(routes(k), []);
});

Deno.test("a route in another table may use a gateway reached through main", () => {
  const k = host();
  k.execute(addr("10.0.0.5/24"));
  k.execute(add(route("0.0.0.0/0", { via: "10.0.0.1", table: 100 })));
  assert.equal(routes(k).find((r) => r.table === 100)!.dev, "eth0");
});

Deno.test("a gateway of the other family is EINVAL, before the device is looked up, on add and delete alike", () => {
  // RTA_GATEWAY must be an address of rtm_family; the live driver cannot even build the
  // request, so neither driver gets as far as RTA_OIF or the route table (found by the
  // differential run: the simulator said ESRCH for the deletion, the live driver EINVAL).
  const k = host();
  const v6viaV4 = route("fd05::/64", { via: "10.0.0.254", metric: 1024, dev: "nope" });
  assertRefused(k, { op: "route.add", namespace: "root", route: v6viaV4 }, "EINVAL");
  assertRefused(k, { op: "route.delete", namespace: "root", route: v6viaV4 }, "EINVAL");
  const v4viaV6 = route("10.5.0.0/24", { via: "fd00::fe", dev: "nope" });
  assertRefused(k, { op: "route.add", namespace: "root", route: v4viaV6 }, "EINVAL");
  assertRefused(k, { op: "route.delete", namespace: "root", route: v4viaV6 }, "EINVAL");
});

Deno.test("an IPv6 blackhole route is bound to lo (fib6_nh_init) and reported with dev lo", () => {
  // `ip -6 route add blackhole fd05::/64` shows `blackhole fd05::/64 dev lo metric 1024`; found by
  // the differential run (the simulator reported no device).
  const k = host();
  k.execute(add(route("fd05::/64", { type: "blackhole", metric: 1024 }), "ns1"));
  assert.deepEqual(routes(k, "ns1").map((r) => [r.to, r.type, r.dev]), [
    ["fd05::/64", "blackhole", "lo"],
  ]);
  // The gateway of a reject route is not kept either.
  k.execute(add(route("fd06::/64", { type: "blackhole", via: "fd00::fe", metric: 1024 }), "ns1"));
  assert.equal(routes(k, "ns1").find((r) => r.to === "fd06::/64")?.via, undefined);
  k.execute(add(route("192.0.2.0/24", { type: "blackhole" }), "ns1"));
  assert.equal(routes(k, "ns1").find((r) => r.to === "192.0.2.0/24")?.dev, undefined);
});

Deno.test("deleting a route through a device that does not exist is ENODEV, not ESRCH", () => {
  // RTA_OIF is an ifindex: `ip route del … dev X` cannot even name a missing X (found by the
  // differential run).
  const k = host();
  assertRefused(
    k,
    { op: "route.delete", namespace: "ns1", route: route("10.5.0.0/24", { dev: "x0" }) },
    "ENODEV",
  );
});

Deno.test("an IPv6 gateway that no route reaches is EHOSTUNREACH (IPv4 says ENETUNREACH)", () => {
  // ip6_route_check_nh starts from -EHOSTUNREACH; found by the differential run, where the
  // kernel's errno 113 was not even a KernelError code yet.
  const k = host();
  assertRefused(
    k,
    add(route("fd05::/64", { via: "fd00::fe", metric: 1024 }), "ns1"),
    "EHOSTUNREACH",
  );
});
