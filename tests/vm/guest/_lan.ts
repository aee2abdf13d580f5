/**
 * The topology most scenario tests share: an ipvlan master `m0` in the guest's root namespace that
 * is a veth, whose peer `sw0` sits in a `far` namespace standing for the switch and the other
 * hosts on the master's network, and one slave per namespace.
 *
 * @module
 */
import { validateManifestValue } from "../../../src/manifest/load.ts";
import type { HostState, IpvlanPort, Topology } from "../../../src/model/state.ts";
import { onlyPrefixed } from "../../live/_unique.ts";
import type { Slave } from "./_lib.ts";

interface RouteInput {
  to: string;
  via: string;
}

export interface LanSpec {
  port: IpvlanPort;
  slaves: Slave[];
  /** On the master, in root (a host's own address on its LAN). */
  masterAddress?: string;
  /** Routes in root through the master (the write-ups' fixes on this host). */
  masterRoutes?: RouteInput[];
  /** The far end of the wire. */
  far: { address: string; loopback?: string[]; routes?: RouteInput[] };
  /** Gives every slave `default dev <slave>` (what l3 slaves need to reach off-subnet hosts). */
  slaveDefault?: boolean;
}

/** The master `m0` in root, its peer `<prefix>far/sw0`, and the slaves in `<prefix><ns>`. */
export function lanTopology(prefix: string, spec: LanSpec): Topology {
  const far = `${prefix}far`;
  const namespaces: Record<string, unknown> = {
    root: {
      links: {
        m0: {
          kind: "veth",
          peer: `${far}/sw0`,
          ipvlan: spec.port,
          addresses: spec.masterAddress ? [spec.masterAddress] : [],
        },
      },
      routes: (spec.masterRoutes ?? []).map((r) => ({ ...r, dev: "m0" })),
    },
    [far]: {
      links: {
        lo: { kind: "loopback", addresses: spec.far.loopback ?? [] },
        sw0: { kind: "veth", peer: "root/m0", addresses: [spec.far.address] },
      },
      routes: spec.far.routes ?? [],
    },
  };
  for (const s of spec.slaves) {
    namespaces[prefix + s.ns] = {
      links: {
        lo: { kind: "loopback" },
        [s.name]: { kind: "ipvlan", parent: "root/m0", addresses: [s.address] },
      },
      routes: spec.slaveDefault ? [{ to: "default", dev: s.name }] : [],
    };
  }
  return validateManifestValue("vm-scenario", { name: `${prefix}lan`, namespaces });
}

/** What the kernel and the simulator must agree on: the prefixed namespaces, m0 and root's routes through it. */
export function lanView(state: HostState, prefix: string): unknown {
  const root = state.namespaces["root"];
  return {
    namespaces: onlyPrefixed(state, prefix).namespaces,
    m0: root?.links["m0"],
    rootRoutes: root?.routes.filter((r) => r.dev === "m0"),
  };
}

export const LAN_PAIR = { view: lanView, rootLinks: ["m0"] };

/** Slaves on the LAN's own subnet (l2), the LAN host at .254. */
export const L2_SLAVES: Slave[] = [
  { ns: "ns1", name: "ipvl1", address: "10.9.0.1/24" },
  { ns: "ns2", name: "ipvl2", address: "10.9.0.2/24" },
];

/** Slaves on a subnet the LAN does not have (l3), as in the write-ups: 192.168.9.0/24. */
export const L3_SLAVES: Slave[] = [
  { ns: "ns1", name: "ipvl1", address: "192.168.9.2/24" },
  { ns: "ns2", name: "ipvl2", address: "192.168.9.3/24" },
];

/**
 * The l3 layout of the write-ups: this host at 10.20.0.1 on the LAN, the far host at 10.20.0.2
 * with an "internet" address 39.156.66.10 on its loopback. With `routes`, the far side routes the
 * slaves' subnet to this host (S20's `ip route add 192.168.9.0/24 via 10.138.36.58`), and this
 * host routes 39.156.66.10 and the slaves' own subnet via the far host (the l3 vepa write-up's
 * `ip r add 39.156.66.10/32 via ...` and `ip r add 192.168.9.0/24 via ...`).
 */
export function l3Lan(prefix: string, port: IpvlanPort, routes: boolean): Topology {
  return lanTopology(prefix, {
    port,
    slaves: L3_SLAVES,
    slaveDefault: true,
    masterAddress: "10.20.0.1/24",
    masterRoutes: routes
      ? [{ to: "39.156.66.10/32", via: "10.20.0.2" }, { to: "192.168.9.0/24", via: "10.20.0.2" }]
      : [],
    far: {
      address: "10.20.0.2/24",
      loopback: ["39.156.66.10/32"],
      routes: routes ? [{ to: "192.168.9.0/24", via: "10.20.0.1" }] : [],
    },
  });
}
