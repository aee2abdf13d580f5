/**
 * macvlan for contrast with ipvlan: every slave gets a MAC of its own, and the
 * mode belongs to each slave, not to the master. This is the setup the HOWTO's
 * "macvlan vs. ipvlan" section weighs ipvlan against.
 *
 * Not from the seeds: it needs no ipvlan and no dummy device, so it runs on a
 * kernel without them, and nothing touches the host's own (root) namespace.
 * A veth pair stands in for the NIC: `lan/uplink` is the master, its peer
 * `switch/port0` plays the switch.
 *
 * What to notice: `c1` and `c2` are bridge-mode slaves (they reach each other
 * through the master); `c3` is private (the kernel drops slave-to-slave
 * traffic for it). A macvlan's MTU may not exceed its lower device's
 * (EINVAL), which validation checks before the kernel has to.
 */
import { topology } from "../mod.ts";

export default topology({
  name: "macvlan-bridge",
  namespaces: {
    lan: {
      links: {
        lo: { kind: "loopback" },
        uplink: { kind: "veth", peer: "switch/port0", mtu: 9000 },
      },
    },
    switch: {
      links: {
        port0: { kind: "veth", peer: "lan/uplink", mtu: 9000, addresses: ["10.30.0.1/24"] },
      },
    },
    c1: {
      links: {
        mv0: {
          kind: "macvlan",
          parent: "lan/uplink",
          mode: "bridge",
          addresses: ["10.30.0.11/24"],
        },
      },
      routes: [{ to: "default", via: "10.30.0.1" }],
    },
    c2: {
      links: {
        mv0: {
          kind: "macvlan",
          parent: "lan/uplink",
          mode: "bridge",
          mtu: 1500,
          addresses: ["10.30.0.12/24"],
        },
      },
      routes: [{ to: "default", via: "10.30.0.1" }],
    },
    c3: {
      links: {
        mv0: {
          kind: "macvlan",
          parent: "lan/uplink",
          mode: "private",
          addresses: ["10.30.0.13/24"],
        },
      },
    },
  },
});
