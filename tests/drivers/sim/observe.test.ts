import assert from "node:assert/strict";
import { HostStateSchema } from "../../../src/model/state.ts";
import { observeState } from "../../../src/drivers/sim/observe.ts";
import { create, host, ipvlan } from "./helpers.ts";

Deno.test("observation maps kinds, references, masters and ipvlan ports to the model", () => {
  const k = host();
  k.execute(ipvlan("i1", "ns1", { ipvlan: { mode: "l2", flags: "private" } }));
  k.execute(create({ name: "br0", kind: "bridge", up: true }));
  k.execute(
    create({
      name: "v0",
      kind: "veth",
      master: "br0",
      peer: { namespace: "ns2", name: "v1", up: false },
    }),
  );
  k.execute(
    create({
      name: "m0",
      kind: "macvlan",
      namespace: "ns2",
      parent: { namespace: "root", name: "br0" },
    }),
  );
  k.execute({
    op: "address.add",
    namespace: "root",
    link: "eth0",
    cidr: "10.0.0.9/24",
    protocol: 150,
  });
  k.execute({
    op: "address.add",
    namespace: "root",
    link: "eth0",
    cidr: "10.0.0.2/24",
    protocol: 150,
  });
  const state = observeState(k.state);
  HostStateSchema.parse(state);
  const root = state.namespaces.root!;
  assert.deepEqual(Object.keys(state.namespaces), ["ns1", "ns2", "root"]);
  assert.deepEqual(Object.keys(root.links), ["br0", "eth0", "lo", "v0"]);
  assert.equal(root.links.eth0!.kind, "device");
  assert.deepEqual(root.links.eth0!.ipvlan, { mode: "l2", flags: "private" });
  assert.deepEqual(root.links.eth0!.addresses.map((a) => a.cidr), ["10.0.0.2/24", "10.0.0.9/24"]);
  assert.equal(root.links.v0!.master, "br0");
  assert.deepEqual(state.namespaces.ns1!.links.i1, {
    kind: "ipvlan",
    up: false,
    mtu: 1500,
    addresses: [],
    parent: { namespace: "root", name: "eth0" },
  });
  const ns2 = state.namespaces.ns2!.links;
  assert.deepEqual(ns2.v1!.kind === "veth" && ns2.v1!.peer, { namespace: "root", name: "v0" });
  assert.equal(ns2.m0!.kind === "macvlan" && ns2.m0!.mode, "vepa");
  assert.deepEqual(root.routes.map((r) => r.to), ["10.0.0.0/24"]);
});

Deno.test("a master whose last slave is gone reports no ipvlan port", () => {
  const k = host();
  k.execute(ipvlan("i1", "ns1"));
  k.execute({ op: "link.delete", namespace: "ns1", name: "i1" });
  assert.equal(observeState(k.state).namespaces.root!.links.eth0!.ipvlan, undefined);
});

Deno.test("observation is deterministic", () => {
  const build = () => {
    const k = host();
    k.execute(create({ name: "d0", kind: "dummy", up: true }));
    k.execute(create({ name: "m0", kind: "macvlan", parent: { namespace: "root", name: "eth0" } }));
    return JSON.stringify(observeState(k.state));
  };
  assert.equal(build(), build());
});
