/**
 * `kernelFromHostState`: the round trip `observeState(kernelFromHostState(s).state)`
 * deep-equals `s`, on the default host, on every example applied to a
 * simulator and on hand-made states shaped like the live observer's.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { applyPlan } from "../../../src/apply/apply.ts";
import { SimDriver } from "../../../src/drivers/sim/driver.ts";
import { kernelFromHostState } from "../../../src/drivers/sim/from_state.ts";
import { observeState } from "../../../src/drivers/sim/observe.ts";
import {
  defaultHost,
  parseSnapshot,
  serializeSnapshot,
  toSnapshot,
} from "../../../src/drivers/sim/snapshot.ts";
import { loadManifest } from "../../../src/manifest/load.ts";
import { type HostState, HostStateSchema, type Link } from "../../../src/model/state.ts";
import { plan, planDestroy } from "../../../src/plan/planner.ts";

const EXAMPLES_DIR = fileURLToPath(new URL("../../../examples/", import.meta.url));

/** Asserts the round trip, also through the snapshot text, and returns the kernel's state. */
function assertRoundTrip(state: HostState) {
  const kernel = kernelFromHostState(state);
  assert.deepEqual(observeState(kernel.state), state);
  // The snapshot file accepts it (schema, root namespace) and reads back the same.
  const text = serializeSnapshot(toSnapshot(kernel));
  const again = parseSnapshot(text, "host.json");
  assert.deepEqual(again.state, kernel.state);
  assert.deepEqual(observeState(again.state), state);
  return kernel.state;
}

const lo = (extra: Partial<Link> = {}): Link => ({
  kind: "loopback",
  up: true,
  mtu: 65536,
  addresses: [{ cidr: "127.0.0.1/8", protocol: 0 }, { cidr: "::1/128", protocol: 1 }],
  ...extra,
} as Link);

Deno.test("the default host round-trips", () => {
  assertRoundTrip(observeState(defaultHost().state));
});

Deno.test("the default host is rebuilt to the same kernel state", () => {
  // lo = 1, eth0 = 2 as addPhysical gave them; only the made-up MAC differs.
  const original = defaultHost().state;
  const rebuilt = kernelFromHostState(observeState(original)).state;
  const root = rebuilt.namespaces.root!;
  assert.deepEqual(root.links.map((l) => [l.name, l.ifindex, l.kind]), [
    ["lo", 1, "loopback"],
    ["eth0", 2, "device"],
  ]);
  assert.equal(root.nextIfindex, 3);
  assert.equal(root.links[0]!.mac, "00:00:00:00:00:00");
  assert.deepEqual(root.routes, original.namespaces.root!.routes);
});

Deno.test("every example applied to a simulator round-trips, and plans the same", async (t) => {
  const files = [...Deno.readDirSync(EXAMPLES_DIR)]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => e.name)
    .sort();
  assert.ok(files.length >= 10);
  for (const file of files) {
    await t.step(file, async () => {
      const desired = await loadManifest(EXAMPLES_DIR + file);
      const sim = await SimDriver.open();
      await applyPlan(plan(desired, await sim.observe()), sim);
      const observed = await sim.observe();
      const state = assertRoundTrip(observed);

      // The rebuilt kernel behaves as the original: converged, and destroyed the same way.
      const rebuilt = new SimDriver(kernelFromHostState(observed));
      assert.deepEqual(rebuilt.kernel.state, state);
      assert.equal(plan(desired, await rebuilt.observe()).changes.length, 0);
      const destroy = planDestroy(desired.name, observed);
      assert.deepEqual(planDestroy(desired.name, await rebuilt.observe()), destroy);
      await applyPlan(destroy, sim);
      await applyPlan(destroy, rebuilt);
      assert.deepEqual(await rebuilt.observe(), await sim.observe());
    });
  }
});

/** Shaped like the live observer's report: kernel routes, lo's addresses, every kind. */
function handMade(): HostState {
  return {
    namespaces: {
      root: {
        links: {
          lo: lo(),
          eth0: {
            kind: "device",
            up: true,
            mtu: 9000,
            ipvlan: { mode: "l2", flags: "private" },
            addresses: [
              { cidr: "192.168.1.5/24", protocol: 0 },
              { cidr: "2001:db8::5/64", protocol: 0 },
            ],
          },
          br0: {
            kind: "bridge",
            up: true,
            mtu: 1400, // below its port's: set by hand
            alias: "netform:t",
            addresses: [{ cidr: "10.9.0.1/24", protocol: 150 }],
          },
          "v-a": {
            kind: "veth",
            up: true,
            mtu: 1500,
            master: "br0",
            alias: "netform:t",
            addresses: [],
            peer: { namespace: "a", name: "eth0" },
          },
          mv0: {
            kind: "macvlan",
            up: false,
            mtu: 1400,
            addresses: [],
            parent: { namespace: "root", name: "br0" },
            mode: "passthru",
          },
        },
        // In the observers' order: by table, then destination.
        routes: [
          {
            to: "203.0.113.0/24",
            type: "blackhole",
            metric: 0,
            table: 100,
            protocol: 150,
          },
          {
            to: "0.0.0.0/0",
            type: "unicast",
            via: "192.168.1.1",
            dev: "eth0",
            metric: 100,
            table: 254,
            protocol: 16,
          },
          {
            to: "10.9.0.0/24",
            type: "unicast",
            dev: "br0",
            scope: "link",
            metric: 0,
            table: 254,
            src: "10.9.0.1",
            protocol: 2,
          },
          {
            to: "192.168.1.0/24",
            type: "unicast",
            dev: "eth0",
            scope: "link",
            metric: 100,
            table: 254,
            src: "192.168.1.5",
            protocol: 2,
          },
          {
            to: "2001:db8::/64",
            type: "unicast",
            dev: "eth0",
            scope: "universe",
            metric: 256,
            table: 254,
            protocol: 2,
          },
        ],
      },
      a: {
        links: {
          lo: lo({ up: false, addresses: [] }),
          eth0: {
            kind: "veth",
            up: true,
            mtu: 1500,
            alias: "netform:t",
            addresses: [{ cidr: "10.9.0.2/24", protocol: 150 }],
            peer: { namespace: "root", name: "v-a" },
          },
          ipv0: {
            kind: "ipvlan",
            up: true,
            mtu: 9000,
            addresses: [{ cidr: "192.168.1.50/32", protocol: 150 }],
            parent: { namespace: "root", name: "eth0" },
          },
          ipv1: {
            kind: "ipvlan",
            up: false,
            mtu: 9000,
            addresses: [],
            parent: { namespace: "root", name: "eth0" },
          },
          br1: {
            kind: "bridge",
            up: false,
            mtu: 1500,
            addresses: [],
          },
        },
        // A route the kernel installed and one the state does not explain: both kept as given.
        routes: [
          {
            to: "10.9.0.0/24",
            type: "unicast",
            dev: "eth0",
            scope: "link",
            metric: 0,
            table: 254,
            src: "10.9.0.2",
            protocol: 2,
          },
          {
            to: "10.77.0.0/16",
            type: "unicast",
            via: "10.9.0.1",
            dev: "eth0",
            metric: 5,
            table: 254,
            protocol: 2,
          },
        ],
      },
      b: {
        links: {
          lo: lo({ up: false, addresses: [] }),
          "mv-b": {
            kind: "macvlan",
            up: true,
            mtu: 1500,
            addresses: [{ cidr: "fd00::b/64", protocol: 150 }],
            parent: { namespace: "a", name: "br1" },
            mode: "bridge",
          },
        },
        routes: [],
      },
    },
  };
}

Deno.test("a hand-made state with every kind round-trips", () => {
  const state = handMade();
  HostStateSchema.parse(state);
  const sim = assertRoundTrip(state);
  const root = sim.namespaces.root!;
  const a = sim.namespaces.a!;
  // Ifindexes: lo first, then by name; nextIfindex past the last.
  assert.deepEqual(root.links.map((l) => [l.name, l.ifindex]), [
    ["lo", 1],
    ["br0", 2],
    ["eth0", 3],
    ["mv0", 4],
    ["v-a", 5],
  ]);
  assert.equal(root.nextIfindex, 6);
  const eth0 = root.links.find((l) => l.name === "eth0")!;
  // The ipvlan port, its slaves sharing the master's MAC, dev_ids in order.
  assert.deepEqual(eth0.ipvlanPort, { mode: "l2", flags: "private", nextDevId: 3 });
  const slaves = a.links.filter((l) => l.kind === "ipvlan");
  assert.deepEqual(slaves.map((l) => [l.name, l.devId, l.mac, l.noarp]), [
    ["ipv0", 1, eth0.mac, false],
    ["ipv1", 2, eth0.mac, false],
  ]);
  // Every other MAC is distinct.
  const macs = Object.values(sim.namespaces).flatMap((ns) =>
    ns.links.filter((l) => l.kind !== "ipvlan" && l.kind !== "loopback").map((l) => l.mac)
  );
  assert.equal(new Set(macs).size, macs.length);
  assert.ok(sim.macSeq > macs.length);
  // br0 is below its port's MTU: set by hand, so ports no longer move it.
  assert.equal(root.links.find((l) => l.name === "br0")!.mtuSetByUser, true);
  assert.equal(a.links.find((l) => l.name === "br1")!.mtuSetByUser, undefined);
  // Same input, same kernel.
  assert.deepEqual(kernelFromHostState(handMade()).state, sim);
});

Deno.test("the rebuilt kernel applies the kernel's cascades to what it was given", () => {
  const kernel = kernelFromHostState(handMade());
  // Deleting the bridge in a takes the macvlan on it in b along (macvlan_device_event).
  kernel.execute({ op: "link.delete", namespace: "a", name: "br1" });
  // Deleting namespace a takes root's veth end with it, and both ipvlan slaves go.
  kernel.execute({ op: "namespace.delete", namespace: "a" });
  const after = observeState(kernel.state);
  assert.deepEqual(Object.keys(after.namespaces.b!.links), ["lo"]);
  assert.deepEqual(Object.keys(after.namespaces.root!.links), ["br0", "eth0", "lo", "mv0"]);
  // The last slave gone, the port goes too.
  assert.equal(after.namespaces.root!.links.eth0!.ipvlan, undefined);
  // The MAC sequence continues past the made-up addresses.
  kernel.execute({
    op: "link.create",
    link: { namespace: "b", name: "d0", kind: "bridge", up: false },
  });
  const macs = Object.values(kernel.state.namespaces).flatMap((ns) => ns.links.map((l) => l.mac));
  assert.equal(macs.filter((m) => m === kernel.state.namespaces.b!.links[1]!.mac).length, 1);
});

Deno.test("references the simulator cannot resolve become devices without a parent or peer", () => {
  const state: HostState = {
    namespaces: {
      root: {
        links: {
          lo: lo(),
          // The live observer's names for a peer in a namespace without a name (a container).
          veth9: {
            kind: "veth",
            up: true,
            mtu: 1500,
            master: "docker0",
            addresses: [],
            peer: { namespace: "nsid:3", name: "eth0" },
          },
          docker0: { kind: "bridge", up: true, mtu: 1500, addresses: [] },
          // A parent in a known namespace but an unknown link.
          mv9: {
            kind: "macvlan",
            up: false,
            mtu: 1500,
            addresses: [{ cidr: "10.1.1.1/24", protocol: 0 }],
            parent: { namespace: "root", name: "if42" },
            mode: "vepa",
          },
          ipv9: {
            kind: "ipvlan",
            up: false,
            mtu: 1500,
            addresses: [],
            parent: { namespace: "nsid:0", name: "eth1" },
          },
        },
        routes: [],
      },
    },
  };
  const kernel = kernelFromHostState(state);
  const observed = observeState(kernel.state);
  const links = observed.namespaces.root!.links;
  assert.deepEqual(links.veth9, {
    kind: "device",
    up: true,
    mtu: 1500,
    master: "docker0",
    addresses: [],
  });
  assert.deepEqual(links.mv9, {
    kind: "device",
    up: false,
    mtu: 1500,
    addresses: [{ cidr: "10.1.1.1/24", protocol: 0 }],
  });
  assert.deepEqual(links.ipv9, { kind: "device", up: false, mtu: 1500, addresses: [] });
  assert.deepEqual(links.docker0, state.namespaces.root!.links.docker0);
  // A device has no dellink: the simulator refuses to delete it, as for a NIC.
  assert.throws(() => kernel.execute({ op: "link.delete", namespace: "root", name: "veth9" }));
  // Still a valid snapshot.
  parseSnapshot(serializeSnapshot(toSnapshot(kernel)), "host.json");
});

Deno.test("a device keeps its type (IFLA_INFO_KIND of a kind netform does not model)", () => {
  const state: HostState = {
    namespaces: {
      root: {
        links: {
          lo: lo(),
          ifb0: { kind: "device", type: "ifb", up: false, mtu: 1500, addresses: [] },
        },
        routes: [],
      },
    },
  };
  const observed = observeState(kernelFromHostState(state).state);
  assert.deepEqual(observed.namespaces.root!.links.ifb0, state.namespaces.root!.links.ifb0);
  assert.deepEqual(observed.namespaces.root!.links.lo, state.namespaces.root!.links.lo);
});
