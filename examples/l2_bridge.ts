/**
 * ipvlan mode l2 with the default flag `bridge`: two slaves of one NIC, each in
 * its own namespace, with addresses taken from the NIC's own LAN.
 *
 * Seed: the practitioner's write-up of ipvlan l2 bridge / l2 vepa / l3 bridge
 * (host S3, NIC eno2 at 10.138.36.58/23 — named eth0 here; rename it to your
 * NIC), section "L2 mode, bridge".
 *
 * What to notice:
 * - `mode l2 bridge` on the `ip link add` lines becomes `ipvlan: { mode: "l2",
 *   flags: "bridge" }` on the master; `bridge` is the default and is written
 *   out only to mirror the seed.
 * - The slaves share eth0's MAC address but each does its own ARP on the LAN,
 *   so they take LAN addresses (10.138.36.2/23, 10.138.36.3/23) and reach each
 *   other directly through the master: the write-up's ns2 pings ns1 fine.
 * - The two default routes differ on purpose, as in the write-up. ns2's
 *   `default via 10.138.36.1` reaches the internet. ns1's `default dev ipvl1`
 *   makes ns1 ARP for every off-LAN destination itself; nobody answers, so the
 *   write-up's ping to 110.242.68.66 from ns1 ended in "Destination Host
 *   Unreachable" while hosts on the LAN (10.138.36.55) still answered. In l2
 *   mode, give slaves a real gateway.
 */
import { topology } from "../mod.ts";

export default topology({
  name: "l2-bridge",
  namespaces: {
    root: {
      links: {
        // ip link add link eno2 name ipvl1 type ipvlan mode l2 bridge (and ipvl2)
        eth0: { kind: "existing", ipvlan: { mode: "l2", flags: "bridge" } },
      },
    },
    ns1: {
      links: {
        lo: { kind: "loopback" },
        ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["10.138.36.2/23"] },
      },
      // ip route add default dev ipvl1: reaches the LAN only (see above).
      routes: [{ to: "default", dev: "ipvl1" }],
    },
    ns2: {
      links: {
        lo: { kind: "loopback" },
        ipvl2: { kind: "ipvlan", parent: "root/eth0", addresses: ["10.138.36.3/23"] },
      },
      // ip route add default via 10.138.36.1 dev ipvl2: reaches the internet.
      routes: [{ to: "default", via: "10.138.36.1", dev: "ipvl2" }],
    },
  },
});
