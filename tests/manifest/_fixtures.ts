/**
 * A valid manifest used as the base of the validation tests: each case
 * changes one thing in a fresh copy.
 *
 * @module
 */

/** A manifest value as a test edits it (loosely typed on purpose: tests write invalid ones). */
// deno-lint-ignore no-explicit-any
export type Loose = any;

/** A fresh valid manifest with ipvlan, macvlan, veth, bridge and routes in three namespaces. */
export function baseManifest(): Loose {
  return {
    name: "test",
    namespaces: {
      root: {
        links: {
          eth0: { kind: "existing", mtu: 1500, addresses: ["192.168.9.1/24"] },
          eth1: { kind: "existing", mtu: 1500 },
          br0: { kind: "bridge", addresses: ["10.9.0.1/24"] },
          veth0: { kind: "veth", peer: "ns2/veth1", master: "br0" },
        },
        routes: [{ to: "10.20.0.0/16", via: "192.168.9.254" }],
      },
      ns1: {
        links: { ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.9.2/24"] } },
        routes: [{ to: "default", via: "192.168.9.254" }],
      },
      ns2: {
        links: {
          veth1: { kind: "veth", peer: "root/veth0", addresses: ["10.9.0.2/24", "fd00::2/64"] },
          ipvl2: { kind: "ipvlan", parent: "root/eth0", addresses: ["192.168.9.3/24"] },
          mv0: { kind: "macvlan", parent: "root/eth1", mtu: 1500 },
        },
        routes: [
          { to: "default", via: "10.9.0.1", dev: "veth1" },
          { to: "::/0", via: "fd00::1" },
          { to: "10.30.0.0/16", type: "blackhole" },
        ],
      },
    },
  };
}

/** `baseManifest()` after `edit`. */
export function edited(edit: (m: Loose) => void): Loose {
  const m = baseManifest();
  edit(m);
  return m;
}
