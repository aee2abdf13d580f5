/**
 * ipvlan mode l2 with flag `vepa`: the master no longer switches between its
 * slaves and hands every frame to the external switch (802.1Qbg).
 *
 * Seed: the practitioner's write-up of ipvlan l2 bridge / l2 vepa / l3 bridge
 * (host S3, NIC eno2 — named eth0 here), section "L2 mode, vepa".
 *
 * What to notice:
 * - Only the master's flags differ from l2_bridge.ts: `flags: "vepa"`.
 * - Without an external switch that reflects frames back out of the port they
 *   came in on (hairpin / reflective relay), the slaves cannot reach each
 *   other: the write-up's ping from ns2 (192.168.9.3) to ns1 (192.168.9.2)
 *   got "Destination Host Unreachable". And because ipvlan slaves use the
 *   master's MAC address, frames between neighbours leave with the same
 *   source and destination MAC, which makes switches and routers send
 *   redirects (the HOWTO's note on VEPA's limitations).
 * - The routes are `default dev`, as the write-up ended up with. Its first
 *   try, `default via 10.138.36.66 dev ipvl2`, failed with "Error: Nexthop has
 *   invalid gateway": the gateway must lie on a subnet of the namespace, and
 *   10.138.36.66 is not in 192.168.9.0/24. netform's validate catches the same
 *   mistake before anything is applied.
 */
import { topology } from "../mod.ts";

export default topology({
  name: "l2-vepa",
  namespaces: {
    root: {
      links: {
        // ip link add link eno2 name ipvl1 type ipvlan mode l2 vepa (and ipvl2)
        eth0: { kind: "existing", ipvlan: { mode: "l2", flags: "vepa" } },
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
