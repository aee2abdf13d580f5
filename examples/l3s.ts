/**
 * ipvlan mode l3s ("L3-symmetric"): like l3, but inbound packets pass the
 * master namespace's netfilter hooks too, so iptables and conntrack work.
 *
 * Seeds: the kernel IPVLAN HOWTO, section 4.3 "L3S mode" (with the commit
 * message that introduced it, 4fbae7d83c), and the l3s write-up ("ipvlan-l3s
 * 模式") that reads the driver code.
 *
 * What to notice:
 * - The only change from an l3 manifest is `mode: "l3s"` on the master. The
 *   slaves are NOARP, exactly as in l3, so `default dev` is all they need;
 *   routing and ARP happen in the master's namespace (root).
 * - Why it exists: in plain l3, egress from a slave passes the netfilter hooks
 *   of both the slave's namespace and root, but ingress skips root's, so
 *   iptables rules in root see only half of each flow. In l3s the driver
 *   makes eth0 an L3 master device (IFF_L3MDEV_MASTER): an inbound packet
 *   goes through root's PREROUTING, is looked up by destination address to
 *   find its slave, is routed in the slave's namespace, and enters its
 *   LOCAL_IN hook. Slightly slower, symmetric for conntrack.
 * - The flip side, from the write-up: after the slave is found the packet goes
 *   straight to local delivery, so the slave namespace's PREROUTING never
 *   runs and there is no chance to DNAT there. For one-to-one inbound NAT
 *   inside the slave's namespace, l3 (which re-runs the whole stack in that
 *   namespace) is the mode to use.
 * - As with l3, the rest of the network must route 192.168.10.0/24 to this
 *   host's eth0 address; that route lives on the far side.
 */
import { topology } from "../mod.ts";

export default topology({
  name: "l3s",
  namespaces: {
    root: {
      links: {
        // ip link add link eth0 name ipvl0 type ipvlan mode l3s (and ipvl1)
        eth0: { kind: "existing", ipvlan: { mode: "l3s" } },
      },
    },
    ns0: {
      links: {
        lo: { kind: "loopback" },
        ipvl0: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.10.2/24"] },
      },
      routes: [{ to: "default", dev: "ipvl0" }],
    },
    ns1: {
      links: {
        lo: { kind: "loopback" },
        ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.10.3/24"] },
      },
      routes: [{ to: "default", dev: "ipvl1" }],
    },
  },
});
