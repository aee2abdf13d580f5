/**
 * The live driver's `execute` against the real kernel, with `ip -j` (and, for IFA_PROTO, which
 * iproute2 6.1 does not print, a dump of our own) as the witness. Every operation also runs on
 * the simulator, set up the same way, and must succeed or fail with the same error class there.
 * Needs root and `-A`; works only in throwaway namespaces (`nfapl-<random>`), deleted in
 * `finally`. Run: `deno test -A tests/live/apply_test.ts`.
 */
import assert from "node:assert/strict";
import { ifaddrmsg, RouteSocket, RTM_GETADDR } from "../../ffi/mod.ts";
import { KernelError } from "../../src/errors.ts";
import { LiveDriver } from "../../src/drivers/live/driver.ts";
import { parseAddress } from "../../src/drivers/live/_parse.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { SimKernel } from "../../src/drivers/sim/kernel.ts";
import type { LinkSpec, Operation } from "../../src/model/operations.ts";
import type { Route } from "../../src/model/state.ts";
import { openDriver } from "../../src/drivers/open.ts";
import { stepFor } from "../../src/drivers/live/requests.ts";

const ignore = Deno.uid?.() !== 0 ||
  Deno.permissions.querySync({ name: "ffi" }).state !== "granted";

function ip(...args: string[]): string {
  const out = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

// deno-lint-ignore no-explicit-any
type Json = any;
function ipJson(...args: string[]): Json[] {
  const text = ip("-j", ...args).trim();
  return text === "" ? [] : JSON.parse(text);
}

/** The host's links, addresses (without lifetimes) and routes, as `ip -j` prints them. */
function hostState(): string {
  const addrs = ipJson("addr");
  for (const l of addrs) {
    for (const a of l.addr_info ?? []) {
      delete a.valid_life_time;
      delete a.preferred_life_time;
    }
  }
  return JSON.stringify({
    links: ipJson("link"),
    addrs,
    routes: ipJson("route", "show", "table", "all"),
    routes6: ipJson("-6", "route", "show", "table", "all"),
  });
}

const HOST_BEFORE = ignore ? "" : hostState();

function uniqueName(): string {
  return `nfapl-${crypto.randomUUID().slice(0, 8)}`;
}

/** A live driver and a simulator fed the same operations. */
class Both {
  live = new LiveDriver();
  sim = new SimDriver(new SimKernel());
  /** Namespaces to delete at the end (whatever happened). */
  namespaces: string[] = [];

  /** Runs `op` on both; both must succeed. */
  async ok(...ops: Operation[]): Promise<void> {
    for (const op of ops) {
      if (op.op === "namespace.create") this.namespaces.push(op.namespace);
      await this.live.execute(op);
      try {
        await this.sim.execute(op);
      } catch (e) {
        throw new Error(`The simulator refused what the kernel accepted: ${JSON.stringify(op)}`, {
          cause: e,
        });
      }
    }
  }

  /** Runs `op` on both; both must refuse with `code` (and the kernel with `message` if given). */
  async fails(op: Operation, code: string, message?: string | RegExp): Promise<KernelError> {
    const live = await this.live.execute(op).then(() => undefined, (e) => e);
    const sim = await this.sim.execute(op).then(() => undefined, (e) => e);
    const what = JSON.stringify(op);
    assert.ok(live instanceof KernelError, `kernel: expected ${code} for ${what}, got ${live}`);
    assert.equal(live.code, code, `kernel error for ${what}: ${live.message}`);
    assert.ok(sim instanceof KernelError, `sim: expected ${code} for ${what}, got ${sim}`);
    assert.equal(sim.code, live.code, `sim error class for ${what}: ${sim.message}`);
    if (message instanceof RegExp) assert.match(live.kernelMessage ?? "", message);
    else if (message !== undefined) assert.equal(live.kernelMessage, message);
    return live;
  }

  /** Closes the live driver and deletes every namespace left. */
  cleanup(): void {
    this.live.close();
    for (const ns of this.namespaces) {
      try {
        ip("netns", "del", ns);
      } catch {
        // already deleted by the test
      }
    }
  }
}

async function withBoth(fn: (b: Both) => Promise<void>): Promise<void> {
  const b = new Both();
  try {
    await fn(b);
  } finally {
    b.cleanup();
  }
}

function link(ns: string, name: string): Json {
  const [l] = ipJson("-n", ns, "-d", "link", "show", "dev", name);
  return l;
}

function linkNames(ns: string): string[] {
  return ipJson("-n", ns, "link").map((l) => l.ifname).sort();
}

function isUp(l: Json): boolean {
  return (l.flags as string[]).includes("UP");
}

/** IFA_PROTO of every address in `ns`, by `address/prefix` (our own dump). */
function addressProtocols(ns: string): Map<string, number> {
  using s = RouteSocket.open(ns);
  const out = new Map<string, number>();
  for (const m of s.dump(RTM_GETADDR, ifaddrmsg())) {
    const a = parseAddress(m.payload);
    if (a) out.set(`${a.address}/${a.prefixlen}`, a.protocol);
  }
  return out;
}

function veth(ns: string, name: string, peerNs: string, peer: string, up = true): LinkSpec {
  return { namespace: ns, name, kind: "veth", up, peer: { namespace: peerNs, name: peer, up } };
}

Deno.test({ name: "live driver: namespace create and delete", ignore }, async () => {
  await withBoth(async (b) => {
    const ns = uniqueName();
    await b.ok({ op: "namespace.create", namespace: ns });
    assert.ok(ip("netns", "list").includes(ns));
    assert.deepEqual(linkNames(ns), ["lo"]);
    await b.fails({ op: "namespace.create", namespace: ns }, "EEXIST");
    await b.ok({ op: "namespace.delete", namespace: ns });
    assert.ok(!ip("netns", "list").includes(ns));
    await b.fails({ op: "namespace.delete", namespace: ns }, "ENOENT");
    await b.fails({ op: "link.create", link: veth(ns, "a", ns, "b") }, "ENOENT");
  });
});

Deno.test({ name: "live driver: links across namespaces", ignore }, async (t) => {
  await withBoth(async (b) => {
    const [A, B] = [uniqueName(), uniqueName()];
    await b.ok({ op: "namespace.create", namespace: A }, { op: "namespace.create", namespace: B });

    await t.step("bridge and a veth pair across two namespaces, port of the bridge", async () => {
      await b.ok({
        op: "link.create",
        link: { namespace: A, name: "br0", kind: "bridge", up: true, alias: "netform:t" },
      }, {
        op: "link.create",
        link: {
          namespace: A,
          name: "v0",
          kind: "veth",
          up: true,
          mtu: 1400,
          alias: "netform:t",
          master: "br0",
          peer: { namespace: B, name: "v1", up: true, mtu: 1300, alias: "peer end" },
        },
      });
      const br = link(A, "br0");
      assert.equal(br.linkinfo.info_kind, "bridge");
      assert.equal(br.ifalias, "netform:t");
      assert.ok(isUp(br));
      const v0 = link(A, "v0");
      assert.equal(v0.linkinfo.info_kind, "veth");
      assert.equal(v0.mtu, 1400);
      assert.equal(v0.ifalias, "netform:t");
      assert.equal(v0.master, "br0");
      assert.ok(isUp(v0));
      assert.equal(v0.link_netnsid !== undefined, true, "the peer is in another namespace");
      const v1 = link(B, "v1");
      assert.equal(v1.mtu, 1300);
      assert.equal(v1.ifalias, "peer end");
      assert.ok(isUp(v1));
      assert.equal(v1.master, undefined);
      assert.equal(v1.link_index, v0.ifindex, "v1's peer is v0");
    });

    await t.step("duplicates are refused with EEXIST, nothing half-made", async () => {
      await b.fails({
        op: "link.create",
        link: { namespace: A, name: "br0", kind: "bridge", up: false },
      }, "EEXIST");
      await b.fails({ op: "link.create", link: veth(A, "v9", B, "v1") }, "EEXIST");
      assert.deepEqual(linkNames(A), ["br0", "lo", "v0"]);
      assert.deepEqual(linkNames(B), ["lo", "v1"]);
    });

    await t.step("link.update: down, MTU, alias clear, master release", async () => {
      await b.ok({
        op: "link.update",
        namespace: A,
        name: "v0",
        changes: { up: false, mtu: 1280, alias: null, master: null },
      });
      const v0 = link(A, "v0");
      assert.ok(!isUp(v0));
      assert.equal(v0.mtu, 1280);
      assert.equal(v0.ifalias, undefined);
      assert.equal(v0.master, undefined);
    });

    await t.step("link.update: up, alias set, master set", async () => {
      await b.ok({
        op: "link.update",
        namespace: A,
        name: "v0",
        changes: { up: true, alias: "again", master: "br0" },
      });
      const v0 = link(A, "v0");
      assert.ok(isUp(v0));
      assert.equal(v0.ifalias, "again");
      assert.equal(v0.master, "br0");
      assert.equal(v0.mtu, 1280, "unchanged");
    });

    await t.step("macvlan in B on a parent in A, then its mode changed", async () => {
      await b.ok({ op: "link.create", link: veth(A, "p0", A, "p1") }, {
        op: "link.create",
        link: {
          namespace: B,
          name: "m0",
          kind: "macvlan",
          up: true,
          mtu: 1400,
          alias: "mac",
          parent: { namespace: A, name: "p0" },
          macvlanMode: "bridge",
        },
      });
      assert.ok(!linkNames(A).includes("m0"), "not left in the parent's namespace");
      const m0 = link(B, "m0");
      assert.equal(m0.linkinfo.info_kind, "macvlan");
      assert.equal(m0.linkinfo.info_data.mode, "bridge");
      assert.equal(m0.mtu, 1400);
      assert.equal(m0.ifalias, "mac");
      assert.ok(isUp(m0));
      assert.equal(m0.link_index, link(A, "p0").ifindex, "IFLA_LINK is p0 of A");
      assert.notEqual(m0.link_netnsid, undefined);

      await b.ok({
        op: "link.update",
        namespace: B,
        name: "m0",
        changes: { macvlanMode: "vepa" },
      });
      assert.equal(link(B, "m0").linkinfo.info_data.mode, "vepa");
      await b.ok({
        op: "link.update",
        namespace: B,
        name: "m0",
        changes: { macvlanMode: "private", mtu: 1450 },
      });
      assert.equal(link(B, "m0").linkinfo.info_data.mode, "private");
      assert.equal(link(B, "m0").mtu, 1450);
    });

    await t.step("a macvlan in B named like a link of A (its parent's namespace)", async () => {
      // 6.1 would look the name up in A (the socket's namespace) and refuse it with EEXIST; the
      // driver creates it under a temporary name and renames it in B.
      await b.ok({
        op: "link.create",
        link: {
          namespace: B,
          name: "p1",
          kind: "macvlan",
          up: true,
          alias: "named like A's p1",
          parent: { namespace: A, name: "p0" },
          macvlanMode: "private",
        },
      });
      const p1 = link(B, "p1");
      assert.equal(p1.linkinfo.info_kind, "macvlan");
      assert.equal(p1.ifalias, "named like A's p1");
      assert.ok(isUp(p1));
      assert.equal(link(A, "p1").linkinfo.info_kind, "veth", "A's p1 is untouched");
      assert.deepEqual(linkNames(B), ["lo", "m0", "p1", "v1"], "no temporary name left");
      await b.ok({ op: "link.delete", namespace: B, name: "p1" });
    });

    await t.step("the slave's name taken in B: EEXIST before anything is made", async () => {
      await b.fails({
        op: "link.create",
        link: {
          namespace: B,
          name: "m0",
          kind: "macvlan",
          up: false,
          parent: { namespace: A, name: "p0" },
          macvlanMode: "bridge",
        },
      }, "EEXIST");
      assert.deepEqual(linkNames(B), ["lo", "m0", "v1"]);
      assert.deepEqual(linkNames(A), ["br0", "lo", "p0", "p1", "v0"]);
    });

    await t.step("a follow-up refused after the rename: the new link is deleted", async () => {
      await b.fails({
        op: "link.create",
        link: {
          namespace: B,
          name: "m2",
          kind: "macvlan",
          up: true,
          master: "lo",
          parent: { namespace: A, name: "p0" },
          macvlanMode: "bridge",
        },
      }, "EOPNOTSUPP");
      assert.deepEqual(
        linkNames(B),
        ["lo", "m0", "v1"],
        "neither m2 nor its temporary name is left",
      );
    });

    await t.step("a bridge port cannot be a macvlan parent (EBUSY)", async () => {
      await b.fails({
        op: "link.create",
        link: {
          namespace: B,
          name: "m1",
          kind: "macvlan",
          up: false,
          parent: { namespace: A, name: "v0" },
          macvlanMode: "bridge",
        },
      }, "EBUSY");
    });

    await t.step("link.delete takes the veth peer in the other namespace", async () => {
      await b.ok({ op: "link.delete", namespace: A, name: "v0" });
      assert.deepEqual(linkNames(A), ["br0", "lo", "p0", "p1"]);
      assert.deepEqual(linkNames(B), ["lo", "m0"]);
      await b.fails({ op: "link.delete", namespace: A, name: "v0" }, "ENODEV");
      await b.fails({ op: "link.delete", namespace: B, name: "nope" }, "ENODEV");
      await b.fails(
        { op: "link.update", namespace: B, name: "nope", changes: { up: true } },
        "ENODEV",
      );
      await b.fails({ op: "link.delete", namespace: A, name: "lo" }, "EOPNOTSUPP");
    });

    await t.step("deleting the parent's namespace takes the macvlan in B at once", async () => {
      await b.ok({ op: "namespace.delete", namespace: A });
      assert.deepEqual(linkNames(B), ["lo"]);
    });
  });
});

Deno.test({ name: "live driver: addresses", ignore }, async (t) => {
  await withBoth(async (b) => {
    const A = uniqueName();
    await b.ok({ op: "namespace.create", namespace: A }, {
      op: "link.create",
      link: veth(A, "e0", A, "e1"),
    });
    const add = (cidr: string, protocol: number, replace?: boolean): Operation => ({
      op: "address.add",
      namespace: A,
      link: "e0",
      cidr,
      protocol,
      ...(replace === undefined ? {} : { replace }),
    });

    await t.step("add IPv4 and IPv6 with protocol 150", async () => {
      await b.ok(add("10.1.0.1/24", 150), add("2001:db8:1::1/64", 150), add("127.0.0.9/8", 150));
      const [e0] = ipJson("-n", A, "addr", "show", "dev", "e0");
      const v4 = e0.addr_info.find((a: Json) => a.local === "10.1.0.1");
      assert.equal(v4.prefixlen, 24);
      assert.equal(v4.broadcast, "10.1.0.255", "brd + computed");
      assert.equal(v4.scope, "global");
      const lo = e0.addr_info.find((a: Json) => a.local === "127.0.0.9");
      assert.equal(lo.scope, "host");
      const v6 = e0.addr_info.find((a: Json) => a.local === "2001:db8:1::1");
      assert.equal(v6.prefixlen, 64);
      const protos = addressProtocols(A);
      assert.equal(protos.get("10.1.0.1/24"), 150);
      assert.equal(protos.get("2001:db8:1::1/64"), 150);
    });

    await t.step("a duplicate is EEXIST; replace changes the protocol", async () => {
      await b.fails(add("10.1.0.1/24", 150), "EEXIST");
      await b.fails(add("2001:db8:1::1/64", 150), "EEXIST");
      await b.ok(add("10.1.0.1/24", 4, true), add("2001:db8:1::1/64", 4, true));
      const protos = addressProtocols(A);
      assert.equal(protos.get("10.1.0.1/24"), 4);
      assert.equal(protos.get("2001:db8:1::1/64"), 4);
    });

    await t.step("delete; deleting a missing address is EADDRNOTAVAIL", async () => {
      for (const cidr of ["10.1.0.1/24", "2001:db8:1::1/64", "127.0.0.9/8"]) {
        await b.ok({ op: "address.delete", namespace: A, link: "e0", cidr });
      }
      const [e0] = ipJson("-n", A, "addr", "show", "dev", "e0");
      assert.deepEqual(
        e0.addr_info.filter((a: Json) => a.scope !== "link").map((a: Json) => a.local),
        [],
      );
      await b.fails(
        { op: "address.delete", namespace: A, link: "e0", cidr: "10.1.0.1/24" },
        "EADDRNOTAVAIL",
      );
    });

    await t.step("on a missing link: ENODEV", async () => {
      await b.fails(
        { op: "address.add", namespace: A, link: "nope", cidr: "10.5.0.1/24", protocol: 150 },
        "ENODEV",
      );
    });
  });
});

Deno.test({ name: "live driver: routes", ignore }, async (t) => {
  await withBoth(async (b) => {
    const A = uniqueName();
    await b.ok(
      { op: "namespace.create", namespace: A },
      { op: "link.create", link: veth(A, "r0", A, "r1") },
      { op: "link.create", link: veth(A, "d0", A, "d1", false) },
      { op: "address.add", namespace: A, link: "r0", cidr: "10.2.0.1/24", protocol: 150 },
      { op: "address.add", namespace: A, link: "r0", cidr: "2001:db8:2::1/64", protocol: 150 },
    );
    const route = (r: Partial<Route> & { to: string }): Route => ({
      type: "unicast",
      metric: 0,
      table: 254,
      protocol: 150,
      ...r,
    });
    const show = (...args: string[]) => ipJson("-n", A, ...args, "route", "show", "table", "all");
    const find = (family: "-4" | "-6", dst: string) =>
      show(family).filter((r: Json) => r.dst === dst);

    const via = route({ to: "10.9.0.0/16", via: "10.2.0.2", dev: "r0", metric: 10 });
    await t.step("add via/dev/metric, then replace the gateway", async () => {
      await b.ok({ op: "route.add", namespace: A, route: via });
      let [r] = find("-4", "10.9.0.0/16");
      assert.equal(r.gateway, "10.2.0.2");
      assert.equal(r.dev, "r0");
      assert.equal(r.metric, 10);
      assert.equal(r.protocol, "150");
      assert.equal(r.table, undefined, "table main is not printed");
      await b.fails({ op: "route.add", namespace: A, route: via }, "EEXIST");
      await b.ok({
        op: "route.add",
        namespace: A,
        route: { ...via, via: "10.2.0.3" },
        replace: true,
      });
      const all = find("-4", "10.9.0.0/16");
      assert.equal(all.length, 1);
      [r] = all;
      assert.equal(r.gateway, "10.2.0.3");
    });

    await t.step("device route in table 100 (scope link), blackhole, IPv6 via", async () => {
      await b.ok(
        {
          op: "route.add",
          namespace: A,
          route: route({ to: "10.8.0.0/16", dev: "r0", table: 100 }),
        },
        { op: "route.add", namespace: A, route: route({ to: "10.7.0.0/16", type: "blackhole" }) },
        {
          op: "route.add",
          namespace: A,
          route: route({ to: "2001:db8:9::/48", via: "2001:db8:2::2", dev: "r0" }),
        },
        {
          op: "route.add",
          namespace: A,
          route: route({ to: "0.0.0.0/0", via: "10.2.0.254", src: "10.2.0.1", table: 100 }),
        },
      );
      const [t100] = find("-4", "10.8.0.0/16");
      assert.equal(t100.table, "100");
      assert.equal(t100.scope, "link");
      assert.equal(t100.dev, "r0");
      const [bh] = find("-4", "10.7.0.0/16");
      assert.equal(bh.type, "blackhole");
      const [v6] = find("-6", "2001:db8:9::/48");
      assert.equal(v6.gateway, "2001:db8:2::2");
      assert.equal(v6.metric, 1024, "the kernel's default IPv6 metric");
      const [def] = find("-4", "default").filter((r: Json) => r.table === "100");
      assert.equal(def.gateway, "10.2.0.254");
      assert.equal(def.prefsrc, "10.2.0.1");
    });

    await t.step("deletes, including a kernel route", async () => {
      await b.ok(
        { op: "route.delete", namespace: A, route: { ...via, via: "10.2.0.3" } },
        {
          op: "route.delete",
          namespace: A,
          route: route({ to: "10.8.0.0/16", dev: "r0", table: 100 }),
        },
        {
          op: "route.delete",
          namespace: A,
          route: route({ to: "10.7.0.0/16", type: "blackhole" }),
        },
        {
          op: "route.delete",
          namespace: A,
          route: route({ to: "2001:db8:9::/48", via: "2001:db8:2::2", dev: "r0", metric: 1024 }),
        },
        {
          op: "route.delete",
          namespace: A,
          route: route({ to: "0.0.0.0/0", via: "10.2.0.254", table: 100 }),
        },
        {
          op: "route.delete",
          namespace: A,
          route: route({ to: "10.2.0.0/24", dev: "r0", protocol: 2, scope: "link" }),
        },
      );
      assert.deepEqual(find("-4", "10.9.0.0/16"), []);
      assert.deepEqual(find("-4", "10.8.0.0/16"), []);
      assert.deepEqual(find("-4", "10.7.0.0/16"), []);
      assert.deepEqual(find("-6", "2001:db8:9::/48"), []);
      assert.deepEqual(find("-4", "10.2.0.0/24"), [], "the kernel's prefix route is gone");
      assert.deepEqual(find("-4", "default"), []);
      await b.fails({ op: "route.delete", namespace: A, route: via }, "ESRCH");
    });

    await t.step("errors: off-subnet gateway, link down, unknown device", async () => {
      await b.ok({
        op: "address.add",
        namespace: A,
        link: "r0",
        cidr: "10.3.0.1/24",
        protocol: 150,
      });
      await b.fails(
        { op: "route.add", namespace: A, route: route({ to: "10.9.0.0/16", via: "10.99.0.1" }) },
        "ENETUNREACH",
        "Nexthop has invalid gateway",
      );
      await b.fails(
        { op: "route.add", namespace: A, route: route({ to: "10.6.0.0/16", dev: "d0" }) },
        "ENETDOWN",
      );
      await b.fails(
        { op: "route.add", namespace: A, route: route({ to: "10.6.0.0/16", dev: "nope" }) },
        "ENODEV",
      );
    });
  });
});

Deno.test(
  { name: "live driver: open.ts loads it, and its snapshot parses as a sim snapshot", ignore },
  async () => {
    const d = await openDriver("live");
    try {
      assert.equal(d.name, "live");
      assert.equal(d.description, "the host's kernel (netlink via libnl)");
      const text = await d.snapshot();
      assert.equal(JSON.parse(text).formatVersion, 1);
      const state = await d.observe();
      assert.ok(state.namespaces.root, "observes the root namespace");
    } finally {
      d.close?.();
    }
  },
);

Deno.test(
  { name: "live driver: the host's links, addresses and routes are unchanged", ignore },
  () => {
    assert.equal(hostState(), HOST_BEFORE);
  },
);

Deno.test("live requests: an ipvlan in another namespace is created down under a temporary name, then renamed by ifindex", () => {
  const ifindexes = new Map([["a/eth0", 7], ["a/iv0", 3]]);
  const resolver = {
    ifindex: (ns: string, name: string) => ifindexes.get(`${ns}/${name}`),
    namespaceFd: (ns: string) => (ns === "b" ? 42 : -1),
  };
  const step = stepFor({
    op: "link.create",
    link: {
      namespace: "b",
      name: "iv0",
      kind: "ipvlan",
      up: true,
      parent: { namespace: "a", name: "eth0" },
      ipvlan: { mode: "l3s", flags: "private" },
    },
  }, resolver);
  assert.equal(step.kind, "netlink");
  if (step.kind !== "netlink") return;
  assert.equal(step.batches.length, 2, "create, then rename and up");
  const [create, rename] = step.batches;
  assert.ok(create !== undefined && "requests" in create);
  assert.equal(create.namespace, "a", "sent in the parent's namespace");
  const request = create.requests[0]!;
  const attrs = request.attrs;
  const name = attrs.find((a) => a.type === 3);
  assert.ok(name?.kind === "string" && /^nf[0-9a-f]{8}$/.test(name.value), "a temporary name");
  assert.equal(new DataView(request.header.buffer).getUint32(8, true), 0, "created down");
  assert.deepEqual(attrs.find((a) => a.type === 28), { kind: "u32", type: 28, value: 42 });
  assert.deepEqual(attrs.find((a) => a.type === 5), { kind: "u32", type: 5, value: 7 });
  assert.deepEqual(attrs.find((a) => a.type === 18), {
    kind: "nested",
    type: 18,
    attrs: [
      { kind: "string", type: 1, value: "ipvlan" },
      {
        kind: "nested",
        type: 2,
        attrs: [{ kind: "u16", type: 1, value: 2 }, { kind: "u16", type: 2, value: 1 }],
      },
    ],
  });

  // Once created, the kernel gave it ifindex 9 in b: rename by ifindex, then up.
  ifindexes.set(`b/${name.value}`, 9);
  assert.ok(rename !== undefined && "build" in rename);
  assert.equal(rename.namespace, "b");
  const [renameRequest, up] = rename.build(resolver);
  const index = (r: { header: Uint8Array }) => new DataView(r.header.buffer).getInt32(4, true);
  assert.equal(index(renameRequest!), 9);
  assert.deepEqual(renameRequest!.attrs, [{ kind: "string", type: 3, value: "iv0" }]);
  assert.equal(index(up!), 9);
  assert.equal(new DataView(up!.header.buffer).getUint32(8, true) & 1, 1, "IFF_UP");
  // The undo deletes that ifindex, whatever its name is by then.
  assert.ok(step.undo !== undefined && "build" in step.undo);
  const [undo] = step.undo.build(resolver);
  assert.equal(index(undo!), 9);
});

Deno.test("live requests: a slave named like a link of its parent's namespace and of its own is refused before anything is sent", () => {
  // The name is in the socket's namespace, so the link would go the temporary-name way (6.1);
  // the clash in its own namespace is found first, as the kernel would refuse it at once.
  assert.throws(
    () =>
      stepFor({
        op: "link.create",
        link: {
          namespace: "b",
          name: "iv0",
          kind: "ipvlan",
          up: false,
          parent: { namespace: "a", name: "eth0" },
        },
      }, {
        ifindex: (_ns, name) => (name === "eth0" || name === "iv0" ? 5 : undefined),
        namespaceFd: () => 42,
      }),
    (e) => e instanceof KernelError && e.code === "EEXIST",
  );
});
