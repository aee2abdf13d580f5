/**
 * Malformed snapshot files (`--driver sim --state FILE`): each is refused with
 * the file, the JSON path of the problem and what is wrong there.
 *
 * @module
 */
import assert from "node:assert/strict";
import { UsageError } from "../../../src/errors.ts";
import { SimDriver } from "../../../src/drivers/sim/driver.ts";
import { snapshotIssues } from "../../../src/drivers/sim/snapshot_checks.ts";
import {
  MAX_SNAPSHOT_BYTES,
  parseSnapshot,
  serializeSnapshot,
  toSnapshot,
} from "../../../src/drivers/sim/snapshot.ts";
import { create, host, ipvlan } from "./helpers.ts";

// deno-lint-ignore no-explicit-any -- a snapshot as raw JSON, mutated freely to break it
type Json = any;

/**
 * root: lo(1) eth0(2) br0(3) v0(4, veth to ns2/v1, port of br0) mv0(5, macvlan on eth0? no: on br0)
 * ns1: lo(1) i1(2, ipvlan on root/eth0, 10.0.0.2/24, route via 10.0.0.1 dev i1)
 * ns2: lo(1) v1(2, veth to root/v0)
 */
function richSnapshot(): Json {
  const k = host();
  k.execute(create({ name: "br0", kind: "bridge", up: true }));
  k.execute(
    create({
      name: "v0",
      kind: "veth",
      master: "br0",
      peer: { namespace: "ns2", name: "v1", up: true },
    }),
  );
  k.execute(ipvlan("i1", "ns1", { up: true, ipvlan: { mode: "l2", flags: "bridge" } }));
  k.execute(create({
    name: "mv0",
    kind: "macvlan",
    parent: { namespace: "root", name: "br0" },
    macvlanMode: "bridge",
  }));
  k.execute({
    op: "address.add",
    namespace: "ns1",
    link: "i1",
    cidr: "10.0.0.2/24",
    protocol: 150,
  });
  k.execute({
    op: "route.add",
    namespace: "ns1",
    route: {
      to: "0.0.0.0/0",
      via: "10.0.0.1",
      dev: "i1",
      type: "unicast",
      metric: 0,
      table: 254,
      protocol: 150,
    },
  });
  return JSON.parse(serializeSnapshot(toSnapshot(k)));
}

/** Index of link `name` in namespace `ns` of a raw snapshot. */
function at(s: Json, ns: string, name: string): number {
  const i = s.namespaces[ns].links.findIndex((l: Json) => l.name === name);
  assert.ok(i >= 0, `${ns}/${name} is not in the snapshot`);
  return i;
}
function link(s: Json, ns: string, name: string): Json {
  return s.namespaces[ns].links[at(s, ns, name)];
}

interface Case {
  name: string;
  /** The file's text, from the rich snapshot's JSON. */
  text: (s: Json) => string;
  /** The JSON path and the problem, as the message must show them. */
  expect: (s: Json) => RegExp;
}

const mutate = (change: (s: Json) => void) => (s: Json) => {
  change(s);
  return JSON.stringify(s, null, 2);
};
const path = (text: string) => text.replace(/[.[\]$()]/g, (c) => `\\${c}`);

const CASES: Case[] = [
  {
    name: "truncated JSON",
    text: (s) => JSON.stringify(s, null, 2).slice(0, 300),
    expect: () => /not JSON: .*JSON/,
  },
  { name: "an empty file", text: () => "", expect: () => /not JSON: Unexpected end of JSON input/ },
  {
    name: "a top-level key given twice",
    text: (s) => JSON.stringify(s, null, 2).replace(/^\{/, '{\n  "macSeq": 1,'),
    expect: () => /\$\.macSeq: duplicate key "macSeq" \(a JSON reader keeps only one of the two\)/,
  },
  {
    name: "a key given twice in a link, the second written with an escape",
    text: (s) =>
      JSON.stringify(s, null, 2).replace('"ifindex": 2,', '"ifindex": 2, "if\\u0069ndex": 2,'),
    expect: (s) =>
      new RegExp(
        path(`$.namespaces.ns1.links[${at(s, "ns1", "i1")}].ifindex`) + ': duplicate key "ifindex"',
      ),
  },
  {
    name: "a namespace given twice (JSON.parse would keep the second silently)",
    text: (s) => {
      const ns2 = JSON.stringify(s.namespaces.ns2);
      return JSON.stringify(s).replace('"namespaces":{', `"namespaces":{"ns2":${ns2},`);
    },
    expect: () => /\$\.namespaces\.ns2: duplicate key "ns2"/,
  },
  {
    name: "an array instead of an object",
    text: () => "[]",
    expect: () => /\$: Invalid input: expected object, received array/,
  },
  {
    name: "another format version",
    text: mutate((s) => (s.formatVersion = 2)),
    expect: () => /\$\.formatVersion: 2 is not a snapshot format this netform reads \(it reads 1\)/,
  },
  {
    name: "a format version as a string",
    text: mutate((s) => (s.formatVersion = "1")),
    expect: () => /\$\.formatVersion: "1" is not a snapshot format this netform reads/,
  },
  {
    name: "a wrong type",
    text: mutate((s) => (link(s, "root", "eth0").mtu = "big")),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.root.links[${at(s, "root", "eth0")}].mtu`)
        }: Invalid input: expected number, received string`,
      ),
  },
  {
    name: "an unknown field on a link",
    text: mutate((s) => (link(s, "ns1", "i1").colour = "blue")),
    expect: (s) =>
      new RegExp(
        `${path(`$.namespaces.ns1.links[${at(s, "ns1", "i1")}]`)}: Unrecognized key: "colour"`,
      ),
  },
  {
    name: "an unknown top-level field",
    text: mutate((s) => (s.owner = "me")),
    expect: () => /\$: Unrecognized key: "owner"/,
  },
  {
    name: "no root namespace",
    text: mutate((s) => delete s.namespaces.root),
    expect: () => /\$\.namespaces: the "root" namespace is missing/,
  },
  {
    name: "a slave whose parent namespace is not in the snapshot",
    text: mutate((s) => (link(s, "ns1", "i1").parent.namespace = "gone")),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.ns1.links[${at(s, "ns1", "i1")}].parent`)
        }: names namespace "gone", which is not in the snapshot`,
      ),
  },
  {
    name: "a slave whose parent does not exist",
    text: mutate((s) => (link(s, "root", "mv0").parent.ifindex = 99)),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.root.links[${at(s, "root", "mv0")}].parent`)
        }: names ifindex 99 in "root", which no link there has`,
      ),
  },
  {
    name: "an ipvlan whose parent has no ipvlan port",
    text: mutate((s) => delete link(s, "root", "eth0").ipvlanPort),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.ns1.links[${at(s, "ns1", "i1")}].parent`)
        }: names "eth0", which has no ipvlanPort`,
      ),
  },
  {
    name: "an ipvlan port with no slave",
    text: mutate((
      s,
    ) => (link(s, "root", "br0").ipvlanPort = { mode: "l3", flags: "bridge", nextDevId: 1 })),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.root.links[${at(s, "root", "br0")}].ipvlanPort`)
        }: "br0" has an ipvlan port but no ipvlan link names it as parent`,
      ),
  },
  {
    name: "a veth whose peer does not point back",
    text: mutate((s) => (link(s, "ns2", "v1").peer.ifindex = link(s, "root", "br0").ifindex)),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.root.links[${at(s, "root", "v0")}].peer`)
        }: names "ns2/v1", whose peer does not point back to "root/v0"`,
      ),
  },
  {
    name: "a veth whose peer is no veth",
    text: mutate((s) => (link(s, "root", "v0").peer = { namespace: "root", ifindex: 2 })),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.root.links[${at(s, "root", "v0")}].peer`)
        }: names "eth0", a device, not a veth`,
      ),
  },
  {
    name: "a veth without a peer",
    text: mutate((s) => delete link(s, "ns2", "v1").peer),
    expect: (s) =>
      new RegExp(
        `${path(`$.namespaces.ns2.links[${at(s, "ns2", "v1")}]`)}: the veth "v1" has no peer`,
      ),
  },
  {
    name: "a master that is not a bridge",
    text: mutate((s) => (link(s, "root", "v0").master = 2)),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.root.links[${at(s, "root", "v0")}].master`)
        }: names "eth0", a device, not a bridge`,
      ),
  },
  {
    name: "two links with one name",
    text: mutate((s) => (link(s, "root", "mv0").name = "eth0")),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.root.links[${at(s, "root", "mv0")}].name`)
        }: "eth0" is also the name of links\\[${at(s, "root", "eth0")}\\]`,
      ),
  },
  {
    name: "two links with one ifindex",
    text: mutate((s) => (link(s, "root", "mv0").ifindex = link(s, "root", "eth0").ifindex)),
    expect: () => /\.ifindex: ifindex 2 is also the ifindex of links\[1\]/,
  },
  {
    name: "an ifindex the next link would take",
    text: mutate((s) => (s.namespaces.ns2.nextIfindex = 2)),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.ns2.links[${at(s, "ns2", "v1")}].ifindex`)
        }: ifindex 2 is not below the namespace's nextIfindex 2`,
      ),
  },
  {
    name: "a namespace without its loopback",
    text: mutate((s) => s.namespaces.ns1.links.splice(at(s, "ns1", "lo"), 1)),
    expect: () => /\$\.namespaces\.ns1\.links: namespace "ns1" has no loopback with ifindex 1/,
  },
  {
    name: "a route through a link missing from its namespace",
    text: mutate((s) => (s.namespaces.ns1.routes.find((r: Json) => r.dev === "i1").dev = "i9")),
    expect: () =>
      /\$\.namespaces\.ns1\.routes\[\d+\]\.dev: names "i9", which is not a link in "ns1"/,
  },
  {
    name: "an address that is not a CIDR",
    text: mutate((s) => (link(s, "ns1", "i1").addresses[0].cidr = "10.0.0.300/24")),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.ns1.links[${at(s, "ns1", "i1")}].addresses[0].cidr`)
        }: "10.0.0.300/24" is not a CIDR`,
      ),
  },
  {
    // IPv4 addresses are one per address and prefix length (10.0.0.2/16 could sit beside it).
    name: "an address listed twice on one link",
    text: mutate((s) =>
      link(s, "ns1", "i1").addresses.push({ cidr: "10.0.0.2/24", protocol: 150 })
    ),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.ns1.links[${at(s, "ns1", "i1")}].addresses[1].cidr`)
        }: "10.0.0.2/24" is also addresses\\[0\\] of "i1"`,
      ),
  },
  {
    // IPv6 addresses are one per address, whatever the prefix length (ipv6_add_addr).
    name: "an IPv6 address listed twice on one link with two prefix lengths",
    text: mutate((s) => {
      link(s, "ns1", "i1").addresses.push({ cidr: "fd00::2/64", protocol: 150 });
      link(s, "ns1", "i1").addresses.push({ cidr: "fd00::2/48", protocol: 150 });
    }),
    expect: (s) =>
      new RegExp(
        `${
          path(`$.namespaces.ns1.links[${at(s, "ns1", "i1")}].addresses[2].cidr`)
        }: "fd00::2/48" is also addresses\\[1\\] of "i1"`,
      ),
  },
  {
    name: "a name the kernel refuses",
    text: mutate((s) => (link(s, "root", "mv0").name = "a/b")),
    expect: () => /\.name: "a\/b" is not a kernel interface name/,
  },
  {
    name: "a file larger than the limit",
    text: (s) => JSON.stringify(s) + " ".repeat(MAX_SNAPSHOT_BYTES),
    expect: () => /\$: the file is larger than 64 MiB/,
  },
];

Deno.test("the rich snapshot the cases start from is consistent", () => {
  const s = richSnapshot();
  assert.deepEqual(snapshotIssues(s), []);
  parseSnapshot(JSON.stringify(s), "good.json");
});

Deno.test("a malformed snapshot is refused with the file and the JSON path of the problem", async (t) => {
  assert.ok(CASES.length >= 15);
  for (const c of CASES) {
    await t.step(c.name, () => {
      const text = c.text(richSnapshot());
      const expected = c.expect(richSnapshot());
      assert.throws(() => parseSnapshot(text, "host.json"), (e: unknown) => {
        assert.ok(e instanceof UsageError, `expected a UsageError, got ${e}`);
        assert.ok(e.message.startsWith(`Invalid snapshot "host.json": `), e.message);
        assert.match(e.message, expected);
        return true;
      });
    });
  }
});

Deno.test("a huge state file is refused before it is read, and left as it was", async () => {
  const dir = await Deno.makeTempDir({ prefix: "netform_snapshot_test_" });
  try {
    const file = `${dir}/host.json`;
    // Sparse: 65 MiB on paper, nothing on disk.
    await Deno.writeTextFile(file, "{");
    await Deno.truncate(file, MAX_SNAPSHOT_BYTES + 1024 * 1024);
    await assert.rejects(
      SimDriver.open(file),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          `Invalid snapshot "${file}": the file is 65.0 MiB, larger than 64 MiB; is it the right file?`,
    );
    assert.equal((await Deno.stat(file)).size, MAX_SNAPSHOT_BYTES + 1024 * 1024);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
