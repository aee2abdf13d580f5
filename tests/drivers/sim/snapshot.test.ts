import assert from "node:assert/strict";
import { UsageError } from "../../../src/errors.ts";
import {
  defaultHost,
  parseSnapshot,
  serializeSnapshot,
  toSnapshot,
} from "../../../src/drivers/sim/snapshot.ts";
import { SimDriver } from "../../../src/drivers/sim/driver.ts";
import { create, host, ipvlan } from "./helpers.ts";

// deno-lint-ignore no-explicit-any -- a snapshot as raw JSON, mutated freely to break it
type Json = any;

Deno.test("the default host has lo up and eth0 up with no addresses", () => {
  const state = defaultHost().state;
  const [lo, eth0] = state.namespaces.root!.links;
  assert.equal(lo!.up, true);
  assert.deepEqual(lo!.addresses.map((a) => a.cidr), ["127.0.0.1/8", "::1/128"]);
  assert.deepEqual(
    {
      name: eth0!.name,
      kind: eth0!.kind,
      up: eth0!.up,
      mtu: eth0!.mtu,
      mac: eth0!.mac,
      addresses: eth0!.addresses,
    },
    { name: "eth0", kind: "device", up: true, mtu: 1500, mac: "52:54:00:12:34:56", addresses: [] },
  );
});

Deno.test("a snapshot round-trips exactly", () => {
  const k = host();
  k.execute(
    ipvlan("i1", "ns1", { up: true, ipvlan: { mode: "l2", flags: "vepa" }, alias: "netform:t" }),
  );
  k.execute(create({ name: "v0", kind: "veth", peer: { namespace: "ns2", name: "v1", up: true } }));
  k.execute({
    op: "address.add",
    namespace: "ns1",
    link: "i1",
    cidr: "10.0.0.2/24",
    protocol: 150,
  });
  const text = serializeSnapshot(toSnapshot(k));
  const again = parseSnapshot(text, "s.json");
  assert.deepEqual(again.state, k.state);
  assert.equal(serializeSnapshot(toSnapshot(again)), text);
  assert.ok(text.endsWith("}\n"));
  assert.ok(text.startsWith('{\n  "formatVersion": 1,\n  "macSeq"'), "keys sorted, 2-space indent");
});

Deno.test("a malformed snapshot is rejected with the file and the JSON path", async (t) => {
  const good = JSON.parse(serializeSnapshot(toSnapshot(defaultHost())));
  const cases: { name: string; mutate: (s: Json) => void; expect: RegExp }[] = [
    { name: "a wrong version", mutate: (s) => (s.formatVersion = 2), expect: /\$\.formatVersion/ },
    {
      name: "a bad MTU",
      mutate: (s) => (s.namespaces.root.links[1].mtu = "big"),
      expect: /\$\.namespaces\.root\.links\[1\]\.mtu/,
    },
    {
      name: "an unknown kind",
      mutate: (s) => (s.namespaces.root.links[0].kind = "tun"),
      expect: /links\[0\]\.kind/,
    },
    { name: "no root namespace", mutate: (s) => delete s.namespaces.root, expect: /root/ },
    { name: "an extra key", mutate: (s) => (s.extra = 1), expect: /\$/ },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const s = structuredClone(good);
      c.mutate(s);
      assert.throws(() => parseSnapshot(JSON.stringify(s), "bad.json"), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, /"bad\.json"/);
        assert.match(e.message, c.expect);
        return true;
      });
    });
  }
  await t.step("not JSON", () => {
    assert.throws(() => parseSnapshot("{", "bad.json"), /Invalid snapshot "bad\.json": not JSON/);
  });
});

Deno.test("opening a missing state file with init starts from the default host and flush creates it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/state.json`;
    const d = await SimDriver.open(file, { init: true });
    await d.execute({ op: "namespace.create", namespace: "ns1" });
    await d.flush();
    const reopened = await SimDriver.open(file);
    assert.deepEqual(await reopened.observe(), await d.observe());
    assert.equal(await Deno.readTextFile(file), serializeSnapshot(toSnapshot(d.kernel)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a driver without a state file keeps the default host in memory", async () => {
  const d = await SimDriver.open();
  assert.equal(d.name, "sim");
  await d.flush();
  const state = await d.observe();
  assert.deepEqual(Object.keys(state.namespaces.root!.links), ["eth0", "lo"]);
});

Deno.test("a refused operation rejects with the KernelError", async () => {
  const d = await SimDriver.open();
  await assert.rejects(
    d.execute({ op: "link.delete", namespace: "root", name: "eth0" }),
    /EOPNOTSUPP/,
  );
});
