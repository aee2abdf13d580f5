/**
 * A multi-tenant NAT host: one public NIC (eth0) as an ipvlan master in mode
 * l3s, one namespace per tenant holding a slave with the tenant's public
 * address, and behind it the tenant's private network to a "vm" namespace.
 * Both tenants use the same private range, 10.0.0.0/24.
 *
 * Seed: the l3s write-up ("ipvlan-l3s 模式"), which motivates ipvlan with
 * exactly this case: tenants' VPC ranges overlap, so they are isolated in
 * namespaces (or VRFs), yet there is one public NIC and one public gateway,
 * and the gateway is usually not in the tenants' public subnet, so the
 * tenants cannot simply share an L2 segment. ipvlan in an l3 mode solves it.
 *
 * What to notice:
 * - Overlap is fine where it is isolated: each tenant's 10.0.0.0/24 lives on
 *   a bridge and veth pair inside its own namespaces. The public addresses
 *   are on slaves of the same master, and those must all differ: the kernel
 *   refuses an address another slave of the same master already has, in any
 *   namespace (EADDRINUSE), and netform's validate says so up front.
 * - The public addresses are /32s, not in the gateway's subnet, and the
 *   tenants' default routes are just `dev pub0`: the slave is NOARP, and the
 *   packet is routed (and ARP is done) in root, with the host's own default
 *   route, which this manifest leaves alone. The upstream router must route
 *   203.0.113.10/32 and 203.0.113.11/32 to the host.
 * - l3s rather than l3 because NAT rests on conntrack, and the HOWTO says
 *   conntrack works in l3s ("L3-symmetric"): inbound packets pass the
 *   netfilter hooks too, not only outbound ones. The write-up's caveat: in
 *   l3s an inbound packet goes straight to local delivery in the tenant's
 *   namespace, skipping its PREROUTING, so inbound one-to-one DNAT to a VM
 *   wants mode l3, which re-runs the whole stack there.
 * - Not netform's job, and not in this manifest: the NAT rules in each tenant
 *   namespace (e.g. SNAT 10.0.0.0/24 to 203.0.113.10 out of pub0) and
 *   net.ipv4.ip_forward=1 there.
 * - Each veth end is declared in its own namespace, naming the other as its
 *   peer ("vm-a/eth0" and "tenant-a/vm0").
 */
import { topology } from "../mod.ts";

export default topology({
  name: "multi-tenant-l3s",
  namespaces: {
    root: {
      links: {
        eth0: { kind: "existing", ipvlan: { mode: "l3s" } },
      },
    },

    // Tenant A: public 203.0.113.10, private 10.0.0.0/24.
    "tenant-a": {
      links: {
        lo: { kind: "loopback" },
        pub0: { kind: "ipvlan", parent: "root/eth0", addresses: ["203.0.113.10/32"] },
        br0: { kind: "bridge", addresses: ["10.0.0.1/24"] },
        vm0: { kind: "veth", peer: "vm-a/eth0", master: "br0" },
      },
      routes: [{ to: "default", dev: "pub0" }],
    },
    "vm-a": {
      links: {
        lo: { kind: "loopback" },
        eth0: { kind: "veth", peer: "tenant-a/vm0", addresses: ["10.0.0.2/24"] },
      },
      routes: [{ to: "default", via: "10.0.0.1" }],
    },

    // Tenant B: public 203.0.113.11, and the very same private 10.0.0.0/24.
    "tenant-b": {
      links: {
        lo: { kind: "loopback" },
        pub0: { kind: "ipvlan", parent: "root/eth0", addresses: ["203.0.113.11/32"] },
        br0: { kind: "bridge", addresses: ["10.0.0.1/24"] },
        vm0: { kind: "veth", peer: "vm-b/eth0", master: "br0" },
      },
      routes: [{ to: "default", dev: "pub0" }],
    },
    "vm-b": {
      links: {
        lo: { kind: "loopback" },
        eth0: { kind: "veth", peer: "tenant-b/vm0", addresses: ["10.0.0.2/24"] },
      },
      routes: [{ to: "default", via: "10.0.0.1" }],
    },
  },
});
