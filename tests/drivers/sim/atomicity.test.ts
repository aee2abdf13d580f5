/**
 * A refused operation changes nothing, now that the simulator copies only the namespaces an
 * operation may change instead of the whole state; and its index of slaves by lower device
 * stays right across refusals and cascades.
 */
import assert from "node:assert/strict";
import { assertRefused, create, host, link } from "./helpers.ts";

Deno.test("a veth refused in its peer's namespace leaves both namespaces as they were", () => {
  const k = host();
  k.execute(create({ name: "taken", kind: "dummy", namespace: "ns2" }));
  assertRefused(
    k,
    create({
      name: "v0",
      kind: "veth",
      namespace: "ns1",
      peer: { name: "taken", namespace: "ns2", up: false },
    }),
    "EEXIST",
  );
});

Deno.test("a refused macvlan leaves no trace, and the next one on the same lower is found by its cascade", () => {
  const k = host();
  k.execute(create({ name: "br0", kind: "bridge", namespace: "ns1" }));
  const macvlan = (name: string, mtu?: number) =>
    create({
      name,
      kind: "macvlan",
      namespace: "ns2",
      parent: { namespace: "ns1", name: "br0" },
      macvlanMode: "bridge",
      ...(mtu === undefined ? {} : { mtu }),
    });
  assertRefused(k, macvlan("m0", 9000), "EINVAL"); // above the lower device's MTU
  k.execute(macvlan("m1"));
  k.execute(macvlan("m2"));
  assert.ok(link(k, "ns2", "m1") && link(k, "ns2", "m2"));
  k.execute({ op: "link.delete", namespace: "ns1", name: "br0" });
  assert.equal(link(k, "ns2", "m1"), undefined, "the lower device takes its macvlans");
  assert.equal(link(k, "ns2", "m2"), undefined);
});

Deno.test("deleting a lower device takes its macvlans in hundreds of namespaces", () => {
  const k = host();
  k.execute(create({ name: "br0", kind: "bridge", namespace: "ns1" }));
  for (let i = 0; i < 300; i++) k.execute({ op: "namespace.create", namespace: `t${i}` });
  for (let i = 0; i < 300; i++) {
    k.execute(create({
      name: "m0",
      kind: "macvlan",
      namespace: `t${i}`,
      parent: { namespace: "ns1", name: "br0" },
      macvlanMode: "bridge",
    }));
  }
  k.execute({ op: "link.delete", namespace: "ns1", name: "br0" });
  for (let i = 0; i < 300; i++) assert.equal(link(k, `t${i}`, "m0"), undefined);
});
