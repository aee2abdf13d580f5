/**
 * Two "nodes" joined at L2, each with an ipvlan l3 slave in a namespace, and
 * host routes that let the slaves (10.1.1.2 and 10.1.1.3) reach each other
 * across nodes: a bridge-less, veth-less alternative to flannel's host-gw.
 *
 * Seed: "ipvlan practice and implementation" (2016), section "IPVLAN L3
 * mode": node2 at 172.17.42.41 and node3 at 172.17.42.43.
 *
 * The seed uses two machines. To run it on one host, namespaces `node2` and
 * `node3` stand in for the machines, and a veth pair stands in for the wire:
 * each end is that node's "eth0" and the ipvlan master of the node's slave.
 * Nothing here touches the real host's (root) namespace.
 *
 * What to notice:
 * - The seed creates the slaves with a bare `type ipvlan`, i.e. the kernel's
 *   default mode l3; it is written out here as `ipvlan: { mode: "l3" }`.
 *   The slaves show NOARP, so `default dev ipvl0 scope link` is their whole
 *   routing table: everything is handed to the master's namespace.
 * - The far side needs a route. The slaves' 10.1.1.0/24 exists only inside
 *   them, so node3 learns `10.1.1.2/32 via 172.17.42.41` and node2 learns
 *   `10.1.1.3/32 via 172.17.42.43`. Both routes live in the *masters'*
 *   namespaces, because in l3 mode that is where routing happens; the /24 on
 *   each slave does not make 10.1.1.3 reachable at L2 from node2-ns0.
 * - The two veth ends are declared on both sides, each naming the other as
 *   its peer.
 */
import { topology } from "../mod.ts";

export default topology({
  name: "two-node-l3",
  namespaces: {
    node2: {
      links: {
        lo: { kind: "loopback" },
        eth0: {
          kind: "veth",
          peer: "node3/eth0",
          addresses: ["172.17.42.41/24"],
          ipvlan: { mode: "l3" },
        },
      },
      // [root@node2 ~]# ip route add 10.1.1.3/32 via 172.17.42.43
      routes: [{ to: "10.1.1.3/32", via: "172.17.42.43" }],
    },
    node3: {
      links: {
        lo: { kind: "loopback" },
        eth0: {
          kind: "veth",
          peer: "node2/eth0",
          addresses: ["172.17.42.43/24"],
          ipvlan: { mode: "l3" },
        },
      },
      // [root@node3 ~]# ip route add 10.1.1.2/32 via 172.17.42.41
      routes: [{ to: "10.1.1.2/32", via: "172.17.42.41" }],
    },
    // node2's ns0
    "node2-ns0": {
      links: {
        lo: { kind: "loopback" },
        ipvl0: { kind: "ipvlan", parent: "node2/eth0", addresses: ["10.1.1.2/24"] },
      },
      // ip netns exec ns0 ip route add default dev ipvl0 scope link
      routes: [{ to: "default", dev: "ipvl0", scope: "link" }],
    },
    // node3's ns1
    "node3-ns1": {
      links: {
        lo: { kind: "loopback" },
        ipvl1: { kind: "ipvlan", parent: "node3/eth0", addresses: ["10.1.1.3/24"] },
      },
      // ip netns exec ns1 ip route add default dev ipvl1 scope link
      routes: [{ to: "default", dev: "ipvl1", scope: "link" }],
    },
  },
});
