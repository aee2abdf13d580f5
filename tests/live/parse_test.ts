/**
 * The live driver's message parsing and model building on hand-made rtnetlink payloads. Covers
 * what this machine's kernel cannot create (ipvlan: no module) and needs no privileges.
 */
import assert from "node:assert/strict";
import {
  AF_INET,
  AF_INET6,
  IFA_ADDRESS,
  IFA_LOCAL,
  IFA_PROTO,
  ifaddrmsg,
  ifinfomsg,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPVLAN_FLAGS,
  IFLA_IPVLAN_MODE,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MTU,
  RTA_DST,
  RTA_PRIORITY,
  RTA_TABLE,
  rtmsg,
} from "../../ffi/messages.ts";
import { parseAddress, parseLink, parseRoute } from "../../src/drivers/live/_parse.ts";
import { buildHostState, type NamespaceDump } from "../../src/drivers/live/observe.ts";
import type { NsidTarget } from "../../src/drivers/live/_nsid.ts";

type A = { type: number; value: Uint8Array | A[] };

function enc(attrs: A[]): Uint8Array {
  const parts: number[] = [];
  for (const a of attrs) {
    const value = Array.isArray(a.value) ? enc(a.value) : a.value;
    const len = 4 + value.length;
    parts.push(len & 0xff, len >> 8, a.type & 0xff, a.type >> 8, ...value);
    while (parts.length % 4) parts.push(0);
  }
  return Uint8Array.from(parts);
}
const u16 = (n: number) => Uint8Array.of(n & 0xff, n >> 8);
const u32 = (n: number) => new Uint8Array(Uint32Array.of(n).buffer);
const s32 = (n: number) => new Uint8Array(Int32Array.of(n).buffer);
const str = (s: string) => new TextEncoder().encode(s + "\0");
const cat = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);

function ipvlanSlave(index: number, name: string, mode: number, flags: number, nsid?: number) {
  return cat(
    ifinfomsg({ index, type: 1, flags: 1 }),
    enc([
      { type: IFLA_IFNAME, value: str(name) },
      { type: IFLA_MTU, value: u32(1500) },
      { type: IFLA_LINK, value: u32(2) },
      ...(nsid === undefined ? [] : [{ type: IFLA_LINK_NETNSID, value: s32(nsid) }]),
      {
        type: IFLA_LINKINFO,
        value: [
          { type: IFLA_INFO_KIND, value: str("ipvlan") },
          {
            type: IFLA_INFO_DATA,
            value: [
              { type: IFLA_IPVLAN_MODE, value: u16(mode) },
              { type: IFLA_IPVLAN_FLAGS, value: u16(flags) },
            ],
          },
        ],
      },
    ]),
  );
}

Deno.test("parseLink() reads ipvlan mode and flags as u16 from IFLA_INFO_DATA", () => {
  const l = parseLink(ipvlanSlave(5, "ipv0", 2, 1, 3));
  assert.equal(l.kind, "ipvlan");
  assert.equal(l.ipvlanMode, 2);
  assert.equal(l.ipvlanFlags, 1);
  assert.equal(l.link, 2);
  assert.equal(l.linkNetnsid, 3);
  assert.equal(l.flags & 1, 1);
});

Deno.test("buildHostState() puts the ipvlan port on the master, across namespaces", () => {
  const eth0 = cat(
    ifinfomsg({ index: 2, type: 1, flags: 1 }),
    enc([{ type: IFLA_IFNAME, value: str("eth0") }, { type: IFLA_MTU, value: u32(1500) }]),
  );
  const lo = cat(
    ifinfomsg({ index: 1, type: 772, flags: 1 }),
    enc([{ type: IFLA_IFNAME, value: str("lo") }, { type: IFLA_MTU, value: u32(65536) }]),
  );
  const dumps = new Map<string, NamespaceDump>([
    ["root", { links: [parseLink(lo), parseLink(eth0)], addresses: [], routes: [] }],
    ["ns1", { links: [parseLink(ipvlanSlave(7, "ipv0", 1, 2, 0))], addresses: [], routes: [] }],
  ]);
  const calls: string[] = [];
  const resolver = {
    resolve(reader: string, nsid: number): NsidTarget {
      calls.push(`${reader}:${nsid}`);
      return { namespace: "root", names: new Map([[2, "eth0"]]) };
    },
  };
  const state = buildHostState(dumps, resolver);
  assert.deepEqual(state.namespaces.root!.links.eth0, {
    kind: "device",
    up: true,
    mtu: 1500,
    ipvlan: { mode: "l3", flags: "vepa" },
    addresses: [],
  });
  assert.equal(state.namespaces.root!.links.lo!.kind, "loopback");
  assert.deepEqual(state.namespaces.ns1!.links.ipv0, {
    kind: "ipvlan",
    up: true,
    mtu: 1500,
    addresses: [],
    parent: { namespace: "root", name: "eth0" },
  });
  assert.ok(calls.every((c) => c === "ns1:0"), "the nsid is resolved for its reader");
});

Deno.test("buildHostState() names an unresolvable nsid's namespace and keeps the link name", () => {
  const dumps = new Map<string, NamespaceDump>([
    ["ns1", { links: [parseLink(ipvlanSlave(7, "ipv0", 0, 0, 4))], addresses: [], routes: [] }],
  ]);
  const state = buildHostState(dumps, {
    resolve: () => ({ namespace: undefined, names: new Map([[2, "eth9"]]) }),
  });
  const link = state.namespaces.ns1!.links.ipv0!;
  assert.ok(link.kind === "ipvlan");
  assert.deepEqual(link.parent, { namespace: "nsid:4", name: "eth9" });
});

Deno.test("parseAddress() reads IFA_PROTO and keeps the host part; link-local is left out", () => {
  const v6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
  const a = parseAddress(
    cat(
      ifaddrmsg({ family: AF_INET6, prefixlen: 64, index: 1 }),
      enc([{ type: IFA_ADDRESS, value: v6 }, { type: IFA_PROTO, value: Uint8Array.of(150) }]),
    ),
  );
  assert.deepEqual(a, {
    family: AF_INET6,
    ifindex: 1,
    prefixlen: 64,
    address: "2001:db8::1",
    protocol: 150,
    secondary: false,
  });
  const secondary = parseAddress(
    cat(
      ifaddrmsg({ family: AF_INET, prefixlen: 24, index: 1, flags: 0x01 }),
      enc([{ type: IFA_LOCAL, value: Uint8Array.of(10, 1, 0, 2) }]),
    ),
  );
  assert.equal(secondary?.secondary, true, "IFA_F_SECONDARY in ifa_flags");
  const ll = Uint8Array.from([0xfe, 0x80, ...new Array(13).fill(0), 9]);
  const mk = (proto: number) =>
    parseAddress(
      cat(
        ifaddrmsg({ family: AF_INET6, prefixlen: 64, index: 1 }),
        enc([{ type: IFA_ADDRESS, value: ll }, { type: IFA_PROTO, value: Uint8Array.of(proto) }]),
      ),
    )!;
  const lo = cat(
    ifinfomsg({ index: 1, type: 772 }),
    enc([{ type: IFLA_IFNAME, value: str("lo") }]),
  );
  const state = buildHostState(
    new Map([["root", { links: [parseLink(lo)], addresses: [a!, mk(3), mk(150)], routes: [] }]]),
    { resolve: () => ({ namespace: undefined, names: new Map() }) },
  );
  assert.deepEqual(state.namespaces.root!.links.lo!.addresses, [
    { cidr: "2001:db8::1/64", protocol: 150 },
    { cidr: "fe80::9/64", protocol: 150 },
  ]);
});

Deno.test("parseRoute() takes RTA_TABLE over rtm_table and defaults the metric to 0", () => {
  const r = parseRoute(
    cat(
      rtmsg({ family: AF_INET, dstLen: 16, table: 252, protocol: 150, type: 6 }),
      enc([{ type: RTA_DST, value: Uint8Array.of(10, 1, 0, 0) }, {
        type: RTA_TABLE,
        value: u32(1000),
      }]),
    ),
  );
  assert.equal(r.table, 1000);
  assert.equal(r.priority, 0);
  assert.equal(r.dst, "10.1.0.0");
  const state = buildHostState(
    new Map([["root", { links: [], addresses: [], routes: [r] }]]),
    { resolve: () => ({ namespace: undefined, names: new Map() }) },
  );
  assert.deepEqual(state.namespaces.root!.routes, [
    {
      to: "10.1.0.0/16",
      type: "blackhole",
      scope: "universe",
      metric: 0,
      table: 1000,
      protocol: 150,
    },
  ]);
  const local = parseRoute(
    cat(
      rtmsg({ family: AF_INET6, table: 255, type: 2 }),
      enc([{ type: RTA_PRIORITY, value: u32(5) }]),
    ),
  );
  assert.equal(local.priority, 5);
  assert.deepEqual(
    buildHostState(new Map([["root", { links: [], addresses: [], routes: [local] }]]), {
      resolve: () => ({ namespace: undefined, names: new Map() }),
    }).namespaces.root!.routes,
    [],
  );
});
