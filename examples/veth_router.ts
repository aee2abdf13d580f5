/**
 * Two hosts behind a router, built from veth pairs and a bridge: the plumbing
 * containerlab and CNI bridge plugins make, declared instead of scripted.
 *
 * Not from the seeds: it needs no ipvlan and no dummy device, so it runs on a
 * kernel without them (this project's CI machines), and it touches nothing in
 * the host's own (root) namespace.
 *
 * - `router` has a bridge `br0` (10.20.0.1/24) with two veth ports, one to each
 *   host namespace, and a second leg `up0` (192.0.2.1/30) to `upstream`.
 * - `h1` and `h2` sit on 10.20.0.0/24 with a default route via the router.
 * - `upstream` reaches 10.20.0.0/24 through the router: the route a far side
 *   needs, as in the l3 write-ups.
 *
 * What to notice: veth ends are declared on both sides, each naming the other
 * as its peer; the bridge ports carry `master`, and the planner creates the
 * bridge before the pair whose end joins it.
 */
import { topology } from "../mod.ts";

export default topology({
  name: "veth-router",
  namespaces: {
    router: {
      links: {
        lo: { kind: "loopback" },
        br0: { kind: "bridge", addresses: ["10.20.0.1/24"] },
        "r-h1": { kind: "veth", peer: "h1/eth0", master: "br0" },
        "r-h2": { kind: "veth", peer: "h2/eth0", master: "br0" },
        up0: { kind: "veth", peer: "upstream/down0", addresses: ["192.0.2.1/30"] },
      },
    },
    h1: {
      links: {
        lo: { kind: "loopback" },
        eth0: { kind: "veth", peer: "router/r-h1", addresses: ["10.20.0.11/24"] },
      },
      routes: [{ to: "default", via: "10.20.0.1" }],
    },
    h2: {
      links: {
        lo: { kind: "loopback" },
        eth0: { kind: "veth", peer: "router/r-h2", addresses: ["10.20.0.12/24"], mtu: 1400 },
      },
      routes: [{ to: "default", via: "10.20.0.1" }],
    },
    upstream: {
      links: {
        lo: { kind: "loopback" },
        down0: { kind: "veth", peer: "router/up0", addresses: ["192.0.2.2/30"] },
      },
      routes: [{ to: "10.20.0.0/24", via: "192.0.2.1", metric: 10 }],
    },
  },
});
