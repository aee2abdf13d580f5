/**
 * The seed examples (examples/*.ts) as the guest suites run them: what each takes as given
 * besides eth0 (the hosts on its LAN), the traffic its comment promises, and the LAN itself:
 * `eth0` is a veth whose peer `sw0` sits in a LAN namespace. Shared by examples_guest.ts (netform
 * builds each example) and adopt_guest.ts (the seed's own `ip` commands build it, netform adopts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { NETFORM_PROTOCOL } from "../../../src/model/names.ts";
import type { HostState, Topology } from "../../../src/model/state.ts";
import { ipLink, must, neighbours, ping, pingReplies, sh, sysctl, tcp } from "./_lib.ts";

export const EXAMPLES = new URL("../../../examples/", import.meta.url).pathname;

export interface Example {
  file: string;
  /** What the example takes as given, besides eth0 and the LAN namespace (`lan`). */
  before?(lan: string): Promise<void>;
  /** The traffic the example's comment promises. */
  check(lan: string): Promise<void>;
}

/** `ip` commands in the LAN namespace (the hosts on eth0's network, which netform does not manage). */
async function lanHost(lan: string, addresses: string[], routes: string[][] = []): Promise<void> {
  for (const a of addresses) await must(lan, "ip", ["addr", "add", a, "dev", "sw0"]);
  for (const r of routes) await must(lan, "ip", ["route", "add", ...r]);
}

async function arpFailed(ns: string, ip: string): Promise<boolean> {
  const entry = (await neighbours(ns)).find((n) => n.dst === ip);
  return entry !== undefined && entry.lladdr === undefined &&
    entry.state.some((s) => s === "FAILED" || s === "INCOMPLETE");
}

export const examples: Example[] = [
  {
    file: "howto_two_namespaces.ts",
    before: (lan) => lanHost(lan, ["192.168.50.1/24"]), // $ROUTER
    async check(lan) {
      assert.ok(await ping("ns0", "192.168.50.11", 3), "ns0 reaches ns1");
      assert.match(await tcp("ns0", "ns1", "192.168.50.11", 8101), /hello-from-ns0/);
      assert.ok(await ping("ns0", "192.168.50.1", 3), "ns0 reaches its router");
      assert.ok(await ping("ns1", "192.168.50.1", 3), "ns1 reaches its router");
      assert.ok(await ping(lan, "192.168.50.10", 3), "the LAN reaches ns0");
    },
  },
  {
    file: "l2_bridge.ts",
    async before(lan) {
      // A LAN host (.55), the router (.1), and behind the router an internet address, which
      // only the router may answer ARP for (arp_ignore 1: only addresses on the asked interface).
      await lanHost(lan, ["10.138.36.55/23", "10.138.36.1/23"]);
      await must(lan, "ip", ["addr", "add", "110.242.68.66/32", "dev", "lo"]);
      await sysctl(lan, "net.ipv4.conf.all.arp_ignore", "1");
    },
    async check() {
      assert.ok(await ping("ns2", "10.138.36.2", 3), "ns2 pings ns1 (the write-up: it works)");
      assert.match(await tcp("ns2", "ns1", "10.138.36.2", 8201), /hello-from-ns2/);
      assert.ok(await ping("ns1", "10.138.36.55", 3), "ns1 reaches a LAN host");
      assert.ok(await ping("ns2", "10.138.36.55", 3), "ns2 reaches a LAN host");
      assert.ok(await ping("ns2", "110.242.68.66", 3), "ns2 reaches the internet via its gateway");
      // ns1's `default dev ipvl1` ARPs for the internet address itself: nobody answers.
      assert.equal(await ping("ns1", "110.242.68.66", 1, 1), false, "ns1 does not");
      assert.ok(await arpFailed("ns1", "110.242.68.66"), "Destination Host Unreachable: no ARP");
    },
  },
  {
    file: "l2_vepa.ts",
    before: (lan) => lanHost(lan, ["192.168.9.1/24"]),
    async check(lan) {
      assert.equal(await ping("ns2", "192.168.9.2", 1, 1), false, "no reply without a switch");
      assert.ok(await arpFailed("ns2", "192.168.9.2"), "Destination Host Unreachable: no ARP");
      assert.ok(await ping(lan, "192.168.9.2", 3), "the LAN still reaches ns1");
      assert.ok(await ping(lan, "192.168.9.3", 3), "the LAN still reaches ns2");
      assert.match(await tcp(lan, "ns2", "192.168.9.3", 8301), /hello-from-/);
    },
  },
  {
    file: "l3_bridge.ts",
    async before(lan) {
      await must("root", "ip", ["addr", "add", "10.138.36.58/23", "dev", "eth0"]); // DHCP's
      // S20, with the route the write-up added there.
      await lanHost(lan, ["10.138.36.66/23"], [["192.168.9.0/24", "via", "10.138.36.58"]]);
    },
    async check(lan) {
      for (const [ns, name] of [["ns1", "ipvl1"], ["ns2", "ipvl2"]]) {
        const flags = (await ipLink(ns!, name!)).flags;
        assert.ok(flags.includes("NOARP"), `${name} shows NOARP: ${flags}`);
      }
      assert.ok(await ping("ns2", "192.168.9.2", 3), "ns2 pings ns1 through the master");
      const far = await pingReplies(lan, "192.168.9.2");
      assert.deepEqual(far.from, ["192.168.9.2"], `S20 reaches ns1 by its route: ${far.output}`);
      assert.match(await tcp(lan, "ns1", "192.168.9.2", 8401), /hello-from-/);
    },
  },
  {
    file: "l3_vepa.ts",
    async before(lan) {
      // S20: its address, the route back, and the "internet" address it can reach.
      await lanHost(lan, ["10.138.36.66/23"], [["192.168.9.0/24", "via", "10.138.36.58"]]);
      await must(lan, "ip", ["addr", "add", "39.156.66.10/32", "dev", "lo"]);
    },
    async check(lan) {
      assert.equal(await ping("ns2", "192.168.9.2", 1, 1), false, "not while S20 does not forward");
      await sysctl(lan, "net.ipv4.ip_forward", "1"); // the write-up's FORWARD eno1 -> eno1
      const back = await pingReplies("ns2", "192.168.9.2", 1);
      assert.deepEqual(back.from, ["192.168.9.2"], `ns2 reaches ns1 via S20: ${back.output}`);
      assert.equal(back.ttl, 63, "one hop, as in the write-up (ttl=63)");
      assert.ok(await ping("ns2", "39.156.66.10", 3), "39.156.66.10 via S20 by root's route");
    },
  },
  {
    file: "l3s.ts",
    async before(lan) {
      await must("root", "ip", ["addr", "add", "10.20.0.1/24", "dev", "eth0"]);
      await lanHost(lan, ["10.20.0.2/24"], [["192.168.10.0/24", "via", "10.20.0.1"]]);
    },
    async check(lan) {
      assert.ok(await ping("ns0", "192.168.10.3", 3), "ns0 reaches ns1");
      assert.ok(await ping(lan, "192.168.10.2", 3), "the far side reaches ns0 by its route");
      assert.match(await tcp(lan, "ns1", "192.168.10.3", 8601), /hello-from-/);
    },
  },
  {
    file: "two_node_l3.ts",
    async check() {
      // Each direction of the seed: ns0 <-> ns1 across nodes, and each node to the other's slave.
      assert.ok(await ping("node2-ns0", "10.1.1.3", 3), "node2.ns0 reaches node3.ns1");
      assert.match(await tcp("node2-ns0", "node3-ns1", "10.1.1.3", 8701), /hello-from-node2-ns0/);
      assert.ok(await ping("node3-ns1", "10.1.1.2", 3), "node3.ns1 reaches node2.ns0");
      assert.ok(await ping("node3", "10.1.1.2", 3), "node3 reaches node2.ns0");
      assert.ok(await ping("node2", "10.1.1.3", 3), "node2 reaches node3.ns1");
    },
  },
  {
    file: "multi_tenant_l3s.ts",
    async check() {
      // The same 10.0.0.0/24 twice: each VM reaches its own tenant's gateway, not the other's.
      const brA = (await ipLink("tenant-a", "br0")).address;
      const brB = (await ipLink("tenant-b", "br0")).address;
      assert.notEqual(brA, brB);
      for (const [vm, tenant, mac] of [["vm-a", "tenant-a", brA], ["vm-b", "tenant-b", brB]]) {
        assert.ok(await ping(vm!, "10.0.0.1", 3), `${vm} reaches its gateway`);
        const gw = (await neighbours(vm!)).find((n) => n.dst === "10.0.0.1");
        assert.equal(gw?.lladdr, mac, `${vm}'s 10.0.0.1 is ${tenant}'s bridge`);
        assert.match(await tcp(vm!, tenant!, "10.0.0.1", 8801), new RegExp(`hello-from-${vm}`));
        assert.ok(await ping(tenant!, "10.0.0.2", 3), `${tenant} reaches its own VM`);
      }
      // The public side: two slaves of one l3s master (flags bridge) reach each other.
      assert.ok(await ping("tenant-a", "203.0.113.11", 3), "tenant-a reaches tenant-b's public");
    },
  },
];

/** Nothing of topology `name` left in `state`: its namespaces, marked links, addresses, routes. */
export function leftovers(state: HostState, topology: Topology): string[] {
  const found: string[] = [];
  for (const ns of Object.keys(topology.namespaces)) {
    if (ns !== "root" && state.namespaces[ns]) found.push(`namespace ${ns}`);
  }
  const root = state.namespaces["root"];
  for (const [name, link] of Object.entries(root?.links ?? {})) {
    if (link.alias === `netform:${topology.name}`) found.push(`link root/${name}`);
    if (link.ipvlan) found.push(`ipvlan port on root/${name}`);
    for (const a of link.addresses) {
      if (a.protocol === NETFORM_PROTOCOL) found.push(`address ${a.cidr} on root/${name}`);
    }
  }
  for (const r of root?.routes ?? []) {
    if (r.protocol === NETFORM_PROTOCOL) found.push(`route ${r.to} in root`);
  }
  return found;
}

/** Makes eth0 (a veth) with its peer `sw0` up in the LAN namespace `lan`. */
export async function setUpLan(lan: string): Promise<void> {
  await must("root", "ip", ["netns", "add", lan]);
  await must("root", "ip", ["link", "add", "eth0", "type", "veth", "peer", "sw0", "netns", lan]);
  await must("root", "ip", ["link", "set", "eth0", "up"]);
  await must(lan, "ip", ["link", "set", "sw0", "up"]);
  await must(lan, "ip", ["link", "set", "lo", "up"]);
}

/** Removes the example's namespaces, the LAN and eth0, whatever is left of them. */
export async function tearDown(namespaces: string[], lan: string): Promise<void> {
  for (const ns of namespaces) await sh("ip", ["netns", "del", ns]);
  await sh("ip", ["netns", "del", lan]);
  await sh("ip", ["link", "del", "eth0"]);
}
