/**
 * The kernel IPVLAN HOWTO's example configuration (section 6): two namespaces,
 * ns0 and ns1, each holding one ipvlan slave of the host's eth0 in mode l2.
 *
 * Seed: Documentation/networking/ipvlan.rst, "IPVLAN Driver HOWTO" by Mahesh
 * Bandewar (English and Chinese translations), section 6 "Example
 * configuration", steps (a) to (d).
 *
 * What to notice:
 * - The mode is declared once, on the master eth0, not on each slave: the
 *   kernel keeps mode and flags per master, and `ip link add ... mode l2` on
 *   the second slave would silently change them for the first. Flags are left
 *   out, so they are the kernel's default, `bridge`: ipvl0 and ipvl1 can talk
 *   to each other directly.
 * - eth0 is `existing`: netform references the NIC but never creates or
 *   deletes it. The slaves name it across namespaces as "root/eth0".
 * - In l2 mode the slaves sit on eth0's own LAN and do their own ARP, so
 *   $IPADDR and $ROUTER must come from that LAN; here it is 192.168.50.0/24
 *   with the router at 192.168.50.1. The default route's gateway lies on the
 *   slave's subnet, as the kernel requires ("Nexthop has invalid gateway"
 *   otherwise).
 * - Step (d)(3) `ip link set dev lo up` is the `lo` entry (links are up by
 *   default). Step (d)(4) `ip -4 addr add 127.0.0.1 dev lo` is left out: the
 *   kernel puts 127.0.0.1/8 on lo itself when it goes up, and the command only
 *   adds a 127.0.0.1/32 next to it. A host where it was run is still adopted
 *   as it is: a namespace's loopback addresses are the namespace's own.
 */
import { topology } from "../mod.ts";

export default topology({
  name: "howto-two-namespaces",
  namespaces: {
    root: {
      links: {
        // (b) ip link add link eth0 ipvl0 type ipvlan mode l2 (and ipvl1)
        eth0: { kind: "existing", ipvlan: { mode: "l2" } },
      },
    },
    ns0: {
      links: {
        lo: { kind: "loopback" },
        ipvl0: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.50.10/24"] },
      },
      // (d)(6) ip -4 route add default via $ROUTER dev ipvl0
      routes: [{ to: "default", via: "192.168.50.1", dev: "ipvl0" }],
    },
    ns1: {
      links: {
        lo: { kind: "loopback" },
        ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.50.11/24"] },
      },
      routes: [{ to: "default", via: "192.168.50.1", dev: "ipvl1" }],
    },
  },
});
