/**
 * The benchmark's scenario: one `host` namespace whose veth `uplink` stands in for the NIC
 * (ipvlan's usual master; macvlan takes its place on kernels without ipvlan, same netlink
 * path), and `namespaces` tenant namespaces holding `slaves` macvlan slaves between them, each
 * slave with addresses and each namespace with routes through a gateway on its subnet.
 *
 * Every namespace name starts with `prefix`, so a run never touches anything it did not make.
 *
 * @module
 */
import type { LinkInput, NamespaceInput, TopologyInput } from "../src/manifest/topology.ts";

/** The size of a scenario. */
export interface ScenarioSize {
  /** Tenant namespaces (the `host` namespace comes on top). */
  namespaces: number;
  /** macvlan slaves in all, spread evenly over the tenant namespaces. */
  slaves: number;
  /** Addresses in all, spread over the slaves. */
  addresses: number;
  /** Routes in all, spread over the tenant namespaces. */
  routes: number;
}

/** A generated scenario: the manifest input and the names it uses. */
export interface Scenario {
  size: ScenarioSize;
  prefix: string;
  topologyName: string;
  host: string;
  tenants: string[];
  input: TopologyInput;
}

/** Spreads `total` items over `buckets` as evenly as possible: how many land in bucket `i`. */
export function share(total: number, buckets: number, i: number): number {
  return Math.floor(total / buckets) + (i < total % buckets ? 1 : 0);
}

/** The /24 of tenant `t` (first three octets). */
function subnet(t: number): string {
  return `10.${128 + (t >> 8)}.${t & 255}`;
}

/** Builds the scenario of `size` with namespaces named `prefix…`. */
export function generateScenario(size: ScenarioSize, prefix: string): Scenario {
  if (size.namespaces < 1 || size.slaves < size.namespaces) {
    throw new RangeError("A scenario needs at least one namespace and one slave per namespace");
  }
  if (size.namespaces > 32000) throw new RangeError("At most 32000 tenant namespaces");
  const host = `${prefix}host`;
  const tenants = Array.from({ length: size.namespaces }, (_, t) => `${prefix}t${t}`);
  const namespaces: Record<string, NamespaceInput> = {
    [host]: {
      links: {
        lo: { kind: "loopback" },
        uplink: { kind: "veth", peer: "port0" },
        port0: { kind: "veth", peer: "uplink" },
      },
    },
  };
  let slaveIndex = 0;
  tenants.forEach((ns, t) => {
    const slaves = share(size.slaves, size.namespaces, t);
    let tenantAddresses = 0;
    const links: Record<string, LinkInput> = { lo: { kind: "loopback" } };
    for (let s = 0; s < slaves; s++, slaveIndex++) {
      const addresses: string[] = [];
      const count = share(size.addresses, size.slaves, slaveIndex);
      for (let a = 0; a < count; a++, tenantAddresses++) {
        if (tenantAddresses >= 240) {
          throw new RangeError("At most 240 addresses per tenant namespace (one /24 each)");
        }
        addresses.push(`${subnet(t)}.${10 + tenantAddresses}/24`);
      }
      links[`mv${s}`] = { kind: "macvlan", parent: `${host}/uplink`, mode: "bridge", addresses };
    }
    const routes = Array.from({ length: share(size.routes, size.namespaces, t) }, (_, r) => ({
      to: `192.${168 + (r >> 16)}.${(r >> 8) & 255}.${r & 255}/32`,
      via: `${subnet(t)}.1`,
      dev: `mv${r % slaves}`,
    }));
    namespaces[ns] = { links, routes };
  });
  const topologyName = `${prefix}bench`;
  return {
    size,
    prefix,
    topologyName,
    host,
    tenants,
    input: { name: topologyName, namespaces },
  };
}

/** The scenario as a manifest module that imports netform's `mod.ts` from `modUrl`. */
export function manifestSource(scenario: Scenario, modUrl: string): string {
  return `import { topology } from ${JSON.stringify(modUrl)};\n\nexport default topology(${
    JSON.stringify(scenario.input)
  });\n`;
}
