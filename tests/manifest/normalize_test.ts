import assert from "node:assert/strict";
import { validateManifestValue } from "../../src/manifest/load.ts";
import { normalizeTopology } from "../../src/manifest/normalize.ts";
import type { TopologyInput } from "../../src/manifest/topology.ts";
import { NETFORM_PROTOCOL } from "../../src/model/names.ts";
import type { Topology } from "../../src/model/state.ts";

const P = NETFORM_PROTOCOL;
const ALIAS = "netform:t";

function normalized(input: TopologyInput): Topology {
  return validateManifestValue("inline", input);
}

Deno.test("normalize produces the full desired topology of a small manifest", () => {
  const topology = normalizeTopology({
    name: "t",
    namespaces: {
      root: { links: { eth0: { kind: "existing" } } },
      ns1: {
        links: { ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["10.0.0.2/24"] } },
        routes: [{ to: "default", via: "10.0.0.1" }],
      },
    },
  });
  assert.deepEqual(topology, {
    name: "t",
    namespaces: {
      root: {
        links: {
          eth0: { kind: "existing", addresses: [], ipvlan: { mode: "l3", flags: "bridge" } },
        },
        routes: [],
      },
      ns1: {
        links: {
          ipvl1: {
            kind: "ipvlan",
            up: true,
            alias: ALIAS,
            addresses: [{ cidr: "10.0.0.2/24", protocol: P }],
            parent: { namespace: "root", name: "eth0" },
          },
          lo: { kind: "loopback", addresses: [], alias: ALIAS },
        },
        routes: [{
          to: "0.0.0.0/0",
          via: "10.0.0.1",
          type: "unicast",
          metric: 0,
          table: 254,
          protocol: P,
        }],
      },
    },
  });
});

Deno.test("normalize defaults up to true except on existing links, and leaves mtu unset", () => {
  const t = normalized({
    name: "t",
    namespaces: {
      root: {
        links: {
          eth0: { kind: "existing" },
          eth1: { kind: "existing", up: false, mtu: 9000 },
          d0: { kind: "dummy" },
          d1: { kind: "dummy", up: false },
          br0: { kind: "bridge", mtu: 1400 },
        },
      },
    },
  });
  const links = t.namespaces.root!.links;
  assert.equal("up" in links.eth0!, false);
  assert.equal(links.eth1!.up, false);
  assert.equal(links.eth1!.mtu, 9000);
  assert.equal(links.d0!.up, true);
  assert.equal("mtu" in links.d0!, false);
  assert.equal(links.d1!.up, false);
  assert.equal(links.br0!.up, true);
  assert.equal(links.br0!.mtu, 1400);
});

Deno.test("normalize marks created links and named namespaces' lo with the owner alias", () => {
  const t = normalized({
    name: "t",
    namespaces: {
      root: {
        links: {
          lo: { kind: "loopback" },
          eth0: { kind: "existing", mtu: 1500 },
          br0: { kind: "bridge" },
          d0: { kind: "dummy" },
          veth0: { kind: "veth", peer: "ns1/veth1", master: "br0" },
        },
      },
      ns1: {
        links: {
          veth1: { kind: "veth", peer: "root/veth0" },
          mv0: { kind: "macvlan", parent: "root/eth0" },
        },
      },
      ns2: { links: { lo: { kind: "loopback", addresses: ["127.0.0.1/8"] } } },
    },
  });
  const root = t.namespaces.root!.links;
  assert.equal(root.lo!.alias, undefined);
  assert.equal(root.eth0!.alias, undefined);
  for (const name of ["br0", "d0", "veth0"]) assert.equal(root[name]!.alias, ALIAS, name);
  const ns1 = t.namespaces.ns1!.links;
  assert.equal(ns1.veth1!.alias, ALIAS);
  assert.equal(ns1.mv0!.alias, ALIAS);
  assert.deepEqual(ns1.lo, { kind: "loopback", addresses: [], alias: ALIAS });
  assert.deepEqual(t.namespaces.ns2!.links.lo, {
    kind: "loopback",
    up: true,
    alias: ALIAS,
    addresses: [{ cidr: "127.0.0.1/8", protocol: P }],
  });
});

Deno.test("normalize resolves references within and across namespaces", () => {
  const t = normalized({
    name: "t",
    namespaces: {
      root: { links: { eth0: { kind: "existing" }, veth0: { kind: "veth", peer: "ns1/veth1" } } },
      ns1: {
        links: {
          veth1: { kind: "veth", peer: "root/veth0" },
          ipvl0: { kind: "ipvlan", parent: "veth1" },
          mv0: { kind: "macvlan", parent: "root/eth0", mode: "private" },
        },
      },
    },
  });
  const ns1 = t.namespaces.ns1!.links;
  assert.deepEqual(ns1.veth1, {
    kind: "veth",
    up: true,
    alias: ALIAS,
    addresses: [],
    peer: { namespace: "root", name: "veth0" },
    ipvlan: { mode: "l3", flags: "bridge" },
  });
  assert.deepEqual(
    t.namespaces.root!.links.veth0!.kind === "veth" && t.namespaces.root!.links.veth0!.peer,
    {
      namespace: "ns1",
      name: "veth1",
    },
  );
  const ipvl0 = ns1.ipvl0!;
  assert.ok(ipvl0.kind === "ipvlan");
  assert.deepEqual(ipvl0.parent, { namespace: "ns1", name: "veth1" });
  const mv0 = ns1.mv0!;
  assert.ok(mv0.kind === "macvlan");
  assert.deepEqual(mv0.parent, { namespace: "root", name: "eth0" });
  assert.equal(mv0.mode, "private");
});

Deno.test("normalize fills ipvlan port defaults on parents only", () => {
  const t = normalized({
    name: "t",
    namespaces: {
      root: {
        links: {
          eth0: { kind: "existing", ipvlan: { mode: "l2" } },
          eth1: { kind: "existing", ipvlan: { flags: "private" } },
          eth2: { kind: "existing" },
          eth3: { kind: "existing" },
        },
      },
      ns1: {
        links: {
          a: { kind: "ipvlan", parent: "root/eth0" },
          b: { kind: "ipvlan", parent: "root/eth1" },
          c: { kind: "ipvlan", parent: "root/eth2" },
          m: { kind: "macvlan", parent: "root/eth3" },
        },
      },
    },
  });
  const root = t.namespaces.root!.links;
  assert.deepEqual(root.eth0!.ipvlan, { mode: "l2", flags: "bridge" });
  assert.deepEqual(root.eth1!.ipvlan, { mode: "l3", flags: "private" });
  assert.deepEqual(root.eth2!.ipvlan, { mode: "l3", flags: "bridge" });
  assert.equal("ipvlan" in root.eth3!, false);
  assert.equal("ipvlan" in t.namespaces.ns1!.links.a!, false);
  const m = t.namespaces.ns1!.links.m!;
  assert.ok(m.kind === "macvlan");
  assert.equal(m.mode, "bridge");
});

Deno.test("normalize canonicalizes and sorts addresses, keeping the host part", () => {
  const t = normalized({
    name: "t",
    namespaces: {
      ns1: {
        links: {
          d0: {
            kind: "dummy",
            addresses: ["FD00:0:0::2/64", "10.0.0.10/24", "10.0.0.2/24", "::ffff:10.0.0.9/128"],
          },
        },
      },
    },
  });
  assert.deepEqual(t.namespaces.ns1!.links.d0!.addresses.map((a) => a.cidr), [
    "10.0.0.2/24",
    "10.0.0.10/24",
    "::ffff:10.0.0.9/128",
    "fd00::2/64",
  ]);
  assert.ok(t.namespaces.ns1!.links.d0!.addresses.every((a) => a.protocol === P));
});

Deno.test("normalize turns routes into the kernel's canonical form", () => {
  const t = normalized({
    name: "t",
    namespaces: {
      ns1: {
        links: { d0: { kind: "dummy", addresses: ["10.0.0.2/24", "fd00::2/64"] } },
        routes: [
          { to: "default", via: "10.0.0.1" },
          { to: "default", via: "FD00::1" },
          { to: "10.1.2.3/16", via: "10.0.0.1", metric: 5 },
          { to: "10.1.1.1", dev: "d0", src: "10.0.0.2" },
          { to: "fd00:1::5", dev: "d0", scope: "link" },
          { to: "10.2.0.0/16", dev: "d0", table: "local" },
          { to: "10.3.0.0/16", dev: "d0", table: 100 },
          { to: "10.4.0.0/16", type: "blackhole", table: "default" },
        ],
      },
    },
  });
  const route = (to: string, table = 254) =>
    t.namespaces.ns1!.routes.find((r) => r.to === to && r.table === table);
  assert.deepEqual(route("0.0.0.0/0"), {
    to: "0.0.0.0/0",
    via: "10.0.0.1",
    type: "unicast",
    metric: 0,
    table: 254,
    protocol: P,
  });
  assert.deepEqual(route("::/0"), {
    to: "::/0",
    via: "fd00::1",
    type: "unicast",
    metric: 1024,
    table: 254,
    protocol: P,
  });
  assert.equal(route("10.1.0.0/16")!.metric, 5);
  assert.deepEqual(route("10.1.1.1/32"), {
    to: "10.1.1.1/32",
    dev: "d0",
    src: "10.0.0.2",
    type: "unicast",
    metric: 0,
    table: 254,
    protocol: P,
  });
  assert.equal(route("fd00:1::5/128")!.scope, "link");
  assert.equal(route("fd00:1::5/128")!.metric, 1024);
  assert.ok(route("10.2.0.0/16", 255));
  assert.ok(route("10.3.0.0/16", 100));
  assert.equal(route("10.4.0.0/16", 253)!.type, "blackhole");
  assert.deepEqual(
    t.namespaces.ns1!.routes.map((r) => `${r.table} ${r.to} ${r.metric}`),
    [
      "100 10.3.0.0/16 0",
      "253 10.4.0.0/16 0",
      "254 0.0.0.0/0 0",
      "254 10.1.0.0/16 5",
      "254 10.1.1.1/32 0",
      "254 ::/0 1024",
      "254 fd00:1::5/128 1024",
      "255 10.2.0.0/16 0",
    ],
  );
});

Deno.test("normalize always adds an empty root namespace", () => {
  const t = normalized({ name: "t", namespaces: { ns1: {} } });
  assert.deepEqual(t.namespaces.root, { links: {}, routes: [] });
  assert.deepEqual(t.namespaces.ns1, {
    links: { lo: { kind: "loopback", addresses: [], alias: ALIAS } },
    routes: [],
  });
});

Deno.test("normalize leaves out keys given as undefined", () => {
  const t = validateManifestValue("inline", {
    name: "t",
    namespaces: { root: { links: { eth0: { kind: "existing", up: undefined, mtu: undefined } } } },
  });
  assert.deepEqual(t.namespaces.root!.links.eth0, { kind: "existing", addresses: [] });
});

Deno.test("normalize stores an IPv6 route's metric 0 as 1024, as the kernel does", () => {
  const topology = normalized({
    name: "t",
    namespaces: {
      root: {
        links: { d0: { kind: "dummy", addresses: ["fd00:1::1/64"] } },
        routes: [{ to: "::/0", via: "fd00:1::fe", metric: 0 }, {
          to: "10.9.0.0/16",
          dev: "d0",
          metric: 0,
        }],
      },
    },
  });
  assert.deepEqual(topology.namespaces.root!.routes.map((r) => [r.to, r.metric]), [
    ["10.9.0.0/16", 0],
    ["::/0", 1024],
  ]);
});
