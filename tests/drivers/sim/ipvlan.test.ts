import assert from "node:assert/strict";
import { assertRefused, create, host, ipvlan, link } from "./helpers.ts";

Deno.test("an ipvlan slave shares its master's MAC and MTU and gets the next dev_id", () => {
  const k = host();
  k.execute(ipvlan("ipv0", "ns1"));
  k.execute(ipvlan("ipv1", "ns2", { mtu: 9000 }));
  const eth0 = link(k, "root", "eth0")!;
  const a = link(k, "ns1", "ipv0")!;
  const b = link(k, "ns2", "ipv1")!;
  assert.equal(a.mac, eth0.mac);
  assert.equal(a.mtu, 1500);
  assert.equal(b.mtu, 9000, "IFLA_MTU is honoured, even above the master's");
  assert.deepEqual([a.devId, b.devId], [1, 2]);
  assert.deepEqual(a.parent, { namespace: "root", ifindex: eth0.ifindex });
});

Deno.test("the ipvlan mode and flags belong to the port, and the latest slave sets them for all", () => {
  const k = host();
  k.execute(ipvlan("ipv0", "ns1", { ipvlan: { mode: "l2", flags: "private" } }));
  assert.deepEqual(link(k, "root", "eth0")!.ipvlanPort, {
    mode: "l2",
    flags: "private",
    nextDevId: 2,
  });
  k.execute(ipvlan("ipv1", "ns2", { ipvlan: { mode: "l3s", flags: "vepa" } }));
  assert.equal(link(k, "root", "eth0")!.ipvlanPort!.mode, "l3s");
  assert.equal(link(k, "root", "eth0")!.ipvlanPort!.flags, "vepa");
});

Deno.test("a slave created without mode moves the port to l3 and keeps its flags", () => {
  const k = host();
  k.execute(ipvlan("ipv0", "ns1", { ipvlan: { mode: "l2", flags: "private" } }));
  k.execute(ipvlan("ipv1", "ns2"));
  const port = link(k, "root", "eth0")!.ipvlanPort!;
  assert.equal(port.mode, "l3");
  assert.equal(port.flags, "private");
});

Deno.test("changing the mode on one slave changes the port and NOARP on every slave", () => {
  const k = host();
  k.execute(ipvlan("ipv0", "ns1", { ipvlan: { mode: "l2", flags: "bridge" } }));
  k.execute(ipvlan("ipv1", "ns2", { ipvlan: { mode: "l2", flags: "bridge" } }));
  assert.equal(link(k, "ns1", "ipv0")!.noarp, false);
  k.execute({
    op: "link.update",
    namespace: "ns2",
    name: "ipv1",
    changes: { ipvlan: { mode: "l3", flags: "private" } },
  });
  assert.deepEqual(link(k, "root", "eth0")!.ipvlanPort, {
    mode: "l3",
    flags: "private",
    nextDevId: 3,
  });
  assert.equal(link(k, "ns1", "ipv0")!.noarp, true);
  assert.equal(link(k, "ns2", "ipv1")!.noarp, true);
});

Deno.test("an ipvlan slave gets NOARP when brought up in l3 but not in l2", async (t) => {
  await t.step("l3", () => {
    const k = host();
    k.execute(ipvlan("ipv0", "ns1", { ipvlan: { mode: "l3", flags: "bridge" } }));
    assert.equal(link(k, "ns1", "ipv0")!.noarp, false, "not at creation");
    k.execute({ op: "link.update", namespace: "ns1", name: "ipv0", changes: { up: true } });
    assert.equal(link(k, "ns1", "ipv0")!.noarp, true);
  });
  await t.step("l2", () => {
    const k = host();
    k.execute(ipvlan("ipv0", "ns1", { up: true, ipvlan: { mode: "l2", flags: "bridge" } }));
    assert.equal(link(k, "ns1", "ipv0")!.noarp, false);
  });
});

Deno.test("an ipvlan on an ipvlan slave joins the slave's master's port", () => {
  const k = host();
  k.execute(ipvlan("ipv0", "ns1"));
  k.execute(
    create({
      name: "ipv1",
      kind: "ipvlan",
      namespace: "ns2",
      parent: { namespace: "ns1", name: "ipv0" },
    }),
  );
  assert.deepEqual(link(k, "ns2", "ipv1")!.parent, { namespace: "root", ifindex: 2 });
});

Deno.test("ipvlan creation refuses what ipvlan_link_new refuses", async (t) => {
  await t.step("lo as master is EINVAL", () => {
    assertRefused(
      host(),
      create({ name: "i0", kind: "ipvlan", parent: { namespace: "root", name: "lo" } }),
      "EINVAL",
    );
  });
  await t.step("a missing master is ENODEV", () => {
    assertRefused(
      host(),
      create({ name: "i0", kind: "ipvlan", parent: { namespace: "root", name: "x" } }),
      "ENODEV",
    );
  });
  await t.step("no master is EINVAL", () => {
    assertRefused(host(), create({ name: "i0", kind: "ipvlan" }), "EINVAL");
  });
  await t.step("a bridge port is EBUSY", () => {
    const k = host();
    k.execute(create({ name: "br0", kind: "bridge" }));
    k.execute({ op: "link.update", namespace: "root", name: "eth0", changes: { master: "br0" } });
    assertRefused(k, ipvlan("i0", "ns1"), "EBUSY", "Device is already in use");
  });
  await t.step("a macvlan lower device is EBUSY", () => {
    const k = host();
    k.execute(create({ name: "m0", kind: "macvlan", parent: { namespace: "root", name: "eth0" } }));
    assertRefused(k, ipvlan("i0", "ns1"), "EBUSY");
  });
  await t.step("a name taken in the target namespace is EEXIST", () => {
    const k = host();
    k.execute(create({ name: "i0", kind: "dummy", namespace: "ns1" }));
    assertRefused(k, ipvlan("i0", "ns1"), "EEXIST");
  });
});

Deno.test("stacking around an ipvlan master and slave is refused", async (t) => {
  const setup = () => {
    const k = host();
    k.execute(ipvlan("ipv0", "root"));
    k.execute(create({ name: "br0", kind: "bridge" }));
    return k;
  };
  await t.step("a macvlan on the ipvlan master is EBUSY", () => {
    assertRefused(
      setup(),
      create({ name: "m0", kind: "macvlan", parent: { namespace: "root", name: "eth0" } }),
      "EBUSY",
    );
  });
  await t.step("a macvlan on an ipvlan slave is EINVAL", () => {
    assertRefused(
      setup(),
      create({ name: "m0", kind: "macvlan", parent: { namespace: "root", name: "ipv0" } }),
      "EINVAL",
    );
  });
  await t.step("enslaving the ipvlan master to a bridge is EBUSY", () => {
    assertRefused(setup(), {
      op: "link.update",
      namespace: "root",
      name: "eth0",
      changes: { master: "br0" },
    }, "EBUSY");
  });
  await t.step("enslaving an ipvlan slave to a bridge is EINVAL", () => {
    assertRefused(setup(), {
      op: "link.update",
      namespace: "root",
      name: "ipv0",
      changes: { master: "br0" },
    }, "EINVAL");
  });
});

Deno.test("an MTU change on an ipvlan master overwrites every slave's MTU", () => {
  const k = host();
  k.execute(ipvlan("ipv0", "ns1", { mtu: 1400 }));
  k.execute(ipvlan("ipv1", "ns2", { mtu: 9000 }));
  k.execute({ op: "link.update", namespace: "root", name: "eth0", changes: { mtu: 1450 } });
  assert.equal(link(k, "ns1", "ipv0")!.mtu, 1450);
  assert.equal(link(k, "ns2", "ipv1")!.mtu, 1450);
});

Deno.test("deleting an ipvlan master deletes its slaves in every namespace", () => {
  const k = host();
  k.execute(create({ name: "d0", kind: "dummy" }));
  k.execute(
    create({
      name: "i1",
      kind: "ipvlan",
      namespace: "ns1",
      parent: { namespace: "root", name: "d0" },
    }),
  );
  k.execute(
    create({
      name: "i2",
      kind: "ipvlan",
      namespace: "ns2",
      parent: { namespace: "root", name: "d0" },
    }),
  );
  k.execute({ op: "link.delete", namespace: "root", name: "d0" });
  assert.equal(link(k, "ns1", "i1"), undefined);
  assert.equal(link(k, "ns2", "i2"), undefined);
});

Deno.test("deleting a macvlan lower device deletes its macvlans", () => {
  const k = host();
  k.execute(create({ name: "d0", kind: "dummy" }));
  k.execute(
    create({
      name: "m1",
      kind: "macvlan",
      namespace: "ns1",
      parent: { namespace: "root", name: "d0" },
    }),
  );
  k.execute({ op: "link.delete", namespace: "root", name: "d0" });
  assert.equal(link(k, "ns1", "m1"), undefined);
});

Deno.test("deleting the last slave destroys the port so the master can join a bridge", () => {
  const k = host();
  k.execute(ipvlan("ipv0", "ns1"));
  k.execute({ op: "link.delete", namespace: "ns1", name: "ipv0" });
  assert.equal(link(k, "root", "eth0")!.ipvlanPort, undefined);
  k.execute(create({ name: "br0", kind: "bridge" }));
  k.execute({ op: "link.update", namespace: "root", name: "eth0", changes: { master: "br0" } });
});

Deno.test("changing ipvlan settings on a non-ipvlan link is EOPNOTSUPP", () => {
  assertRefused(
    host(),
    {
      op: "link.update",
      namespace: "root",
      name: "eth0",
      changes: { ipvlan: { mode: "l2", flags: "bridge" } },
    },
    "EOPNOTSUPP",
  );
});
