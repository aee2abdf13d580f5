/**
 * ipvlan mode l3 with the default flag `bridge`: the slaves do L3 only; L2
 * (ARP) and routing to the outside happen in the master's namespace.
 *
 * Seed: the practitioner's write-up of ipvlan l2 bridge / l2 vepa / l3 bridge
 * (host S3, NIC eno2 at 10.138.36.58/23 — named eth0 here; a second host S20
 * at 10.138.36.66), section "L3 mode, bridge".
 *
 * What to notice:
 * - The slaves show NOARP (`<BROADCAST,MULTICAST,NOARP,UP,LOWER_UP>`): in l3
 *   mode they neither send nor receive broadcast or multicast, so no ARP.
 *   That is why `default dev ipvl1` is enough here, unlike in l2 mode: the
 *   packet is handed to the master's namespace, which routes it with its own
 *   table and does the ARP itself.
 * - The slaves' subnet, 192.168.9.0/24, is not on the LAN at all. With
 *   `bridge`, ns2 pings ns1 directly through the master.
 * - Nobody outside knows where 192.168.9.0/24 is. For S20 to reach the slaves
 *   the write-up had to add, on S20 (the far side, not this host, so not in
 *   this manifest): `ip route add 192.168.9.0/24 via 10.138.36.58 dev eno1`,
 *   i.e. via this host's eth0 address.
 */
import { topology } from "../mod.ts";

export default topology({
  name: "l3-bridge",
  namespaces: {
    root: {
      links: {
        // ip link add link eno2 name ipvl1 type ipvlan mode l3 bridge (and ipvl2)
        eth0: { kind: "existing", ipvlan: { mode: "l3", flags: "bridge" } },
      },
    },
    ns1: {
      links: {
        lo: { kind: "loopback" },
        ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.9.2/24"] },
      },
      routes: [{ to: "default", dev: "ipvl1" }],
    },
    ns2: {
      links: {
        lo: { kind: "loopback" },
        ipvl2: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.9.3/24"] },
      },
      routes: [{ to: "default", dev: "ipvl2" }],
    },
  },
});
