/**
 * ipvlan mode l3 with flag `vepa`: slaves do L3 only, and the master does not
 * switch between them, so even slave-to-slave traffic is routed out of eth0.
 *
 * Seed: the practitioner's write-up of ipvlan l2 bridge / l2 vepa / l3 bridge
 * (host S3, NIC eno2 at 10.138.36.58/23 — named eth0 here; a second host S20
 * at 10.138.36.66 acting as the external router), section "L3 mode, vepa".
 *
 * What to notice:
 * - The slaves are NOARP, as in every l3 mode, so `default dev` suffices in
 *   their namespaces; the real routing happens in the master's namespace,
 *   which is why the write-up's fixes are routes in *root*, not in ns1/ns2.
 * - `192.168.9.0/24 via 10.138.36.66`: with vepa the master will not deliver
 *   ns2 -> ns1 itself, so the packet goes to S20 and comes back (the
 *   write-up's reply has ttl=63, one hop). S20 needs the reverse route,
 *   `192.168.9.0/24 via 10.138.36.58`, and must forward eno1 -> eno1; that is
 *   on the far side and not in this manifest.
 * - `39.156.66.10/32 via 10.138.36.66`: tcpdump showed the echo request to
 *   39.156.66.10 leaving through the LAN router 10.138.36.1 with no reply,
 *   since nothing upstream knows 192.168.9.0/24; the write-up sent that
 *   destination via S20 instead.
 * - eth0's address 10.138.36.58/23 is declared (DHCP had already put it there
 *   on the write-up's host) so that the gateway 10.138.36.66 lies on a
 *   connected subnet of root; without it the kernel, and netform's validate,
 *   refuse the routes: "Nexthop has invalid gateway".
 */
import { topology } from "../mod.ts";

export default topology({
  name: "l3-vepa",
  namespaces: {
    root: {
      links: {
        // ip link add link eno2 name ipvl1 type ipvlan mode l3 vepa (and ipvl2)
        eth0: {
          kind: "existing",
          addresses: ["10.138.36.58/23"],
          ipvlan: { mode: "l3", flags: "vepa" },
        },
      },
      routes: [
        // ip r add 192.168.9.0/24 via 10.138.36.66 dev eno2
        { to: "192.168.9.0/24", via: "10.138.36.66", dev: "eth0" },
        // ip r add 39.156.66.10/32 via 10.138.36.66 dev eno2
        { to: "39.156.66.10/32", via: "10.138.36.66", dev: "eth0" },
      ],
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
