import assert from "node:assert/strict";
import { assertRefused, create, host, ipvlan, link } from "./helpers.ts";
import { SimKernel } from "../../../src/drivers/sim/kernel.ts";

Deno.test("a new namespace has lo down with no addresses and ifindex 1", () => {
  const k = host();
  const lo = link(k, "ns1", "lo")!;
  assert.equal(lo.ifindex, 1);
  assert.equal(lo.up, false);
  assert.deepEqual(lo.addresses, []);
  assert.deepEqual(k.state.namespaces.ns1!.routes, []);
});

Deno.test("creating an existing namespace is EEXIST", () => {
  assertRefused(host(), { op: "namespace.create", namespace: "ns1" }, "EEXIST");
  assertRefused(host(), { op: "namespace.create", namespace: "root" }, "EEXIST");
});

Deno.test("deleting a missing namespace is ENOENT and the root namespace EINVAL", () => {
  assertRefused(host(), { op: "namespace.delete", namespace: "nope" }, "ENOENT");
  assertRefused(host(), { op: "namespace.delete", namespace: "root" }, "EINVAL");
});

Deno.test("deleting a namespace deletes its virtual links and the slaves of masters in it", () => {
  const k = host();
  k.execute(create({ name: "d0", kind: "dummy", namespace: "ns1" }));
  k.execute(
    create({
      name: "i0",
      kind: "ipvlan",
      namespace: "ns2",
      parent: { namespace: "ns1", name: "d0" },
    }),
  );
  k.execute(
    create({ name: "v0", kind: "veth", peer: { namespace: "ns1", name: "v1", up: false } }),
  );
  k.execute({ op: "namespace.delete", namespace: "ns1" });
  assert.equal(k.state.namespaces.ns1, undefined);
  assert.equal(link(k, "ns2", "i0"), undefined, "slave of a master that died");
  assert.equal(link(k, "root", "v0"), undefined, "veth peer elsewhere");
});

Deno.test("deleting a namespace returns physical devices to root, renamed on a clash", () => {
  const k = new SimKernel();
  k.execute({ op: "namespace.create", namespace: "ns1" });
  k.addPhysical("root", "eth0", { mac: "52:54:00:00:00:01" });
  k.addPhysical("ns1", "eth0", { mac: "52:54:00:00:00:02", up: true });
  k.addPhysical("ns1", "eth1", { mac: "52:54:00:00:00:03" });
  k.execute({
    op: "address.add",
    namespace: "ns1",
    link: "eth0",
    cidr: "10.0.0.1/24",
    protocol: 150,
  });
  k.execute(
    create({
      name: "i0",
      kind: "ipvlan",
      namespace: "root",
      parent: { namespace: "ns1", name: "eth1" },
    }),
  );
  k.execute({ op: "namespace.delete", namespace: "ns1" });
  const dev0 = link(k, "root", "dev0")!;
  assert.equal(dev0.mac, "52:54:00:00:00:02");
  assert.equal(dev0.up, false);
  assert.deepEqual(dev0.addresses, []);
  assert.notEqual(dev0.ifindex, link(k, "root", "eth0")!.ifindex);
  const eth1 = link(k, "root", "eth1")!;
  assert.deepEqual(link(k, "root", "i0")!.parent, { namespace: "root", ifindex: eth1.ifindex });
  assert.ok(eth1.ipvlanPort, "the port moves with its physical master");
});

Deno.test("an ipvlan slave in a deleted namespace dies but its master and siblings survive", () => {
  const k = host();
  k.execute(ipvlan("i1", "ns1"));
  k.execute(ipvlan("i2", "ns2"));
  k.execute({ op: "namespace.delete", namespace: "ns1" });
  assert.ok(link(k, "ns2", "i2"));
  assert.ok(link(k, "root", "eth0")!.ipvlanPort);
});
