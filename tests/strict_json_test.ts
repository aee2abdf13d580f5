/**
 * The duplicate-key scanner behind every JSON file netform reads: what it
 * finds, what it must not mistake for a key, and how fast it is on a
 * snapshot at the 64 MiB limit.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DuplicateKeyError,
  findDuplicateKey,
  formatJsonPath,
  parseStrictJson,
} from "../src/strict_json.ts";
import { MAX_SNAPSHOT_BYTES } from "../src/drivers/sim/snapshot.ts";

const DUPLICATES: { name: string; text: string; path: string }[] = [
  { name: "at the top level", text: '{"a": 1, "b": 2, "a": 3}', path: "$.a" },
  { name: "in a nested object", text: '{"x": {"y": {"z": 1, "z": 2}}}', path: "$.x.y.z" },
  {
    name: "in an object inside an array, at its index",
    text: '{"l": [{"n": 1}, {"n": 2}, {"n": 3, "m": 0, "n": 4}]}',
    path: "$.l[2].n",
  },
  {
    name: "in arrays of arrays",
    text: '[[0, 1], [2, [3, {"k": true, "k": false}]]]',
    path: "$[1][1][1].k",
  },
  {
    name: "spelled differently with an escape",
    text: '{"mtu": 1500, "m\\u0074u": 9000}',
    path: "$.mtu",
  },
  {
    name: "a key with an escaped quote, given twice",
    text: '{"a\\"b": 1, "a\\"b": 2}',
    path: '$["a\\"b"]',
  },
  {
    name: "after values that look like structure",
    text: '{"s": "{\\"k\\": [1, 2], ,", "t": "\\\\", "k": 1, "k": 2}',
    path: "$.k",
  },
  {
    name: "an empty key twice",
    text: '{"": 1, "": 2}',
    path: '$[""]',
  },
  {
    name: "past sixteen keys (where the key set turns into a hash set)",
    text: JSON.stringify(Object.fromEntries([...Array(40).keys()].map((i) => [`k${i}`, i])))
      .replace(/}$/, ', "k7": 0}'),
    path: "$.k7",
  },
  {
    name: "after an empty object and an empty array in an array",
    text: '[{}, [], "x", {"a": {}, "a": []}]',
    path: "$[3].a",
  },
];

Deno.test("a duplicate key is found at its JSON path, at any depth", async (t) => {
  for (const c of DUPLICATES) {
    await t.step(c.name, () => {
      assert.throws(() => parseStrictJson(c.text), (e: unknown) => {
        assert.ok(e instanceof DuplicateKeyError, String(e));
        assert.equal(formatJsonPath(e.path), c.path);
        return true;
      });
    });
  }
});

const CLEAN: { name: string; text: string }[] = [
  { name: "the same key in sibling objects", text: '[{"a": 1}, {"a": 2}, {"b": {"a": 3}}]' },
  { name: "the same key at two depths", text: '{"a": {"a": {"a": 1}}}' },
  { name: "a key that is equal to a value", text: '{"a": "a", "b": ["a", "b"]}' },
  {
    name: "keys that differ only in case or escape",
    text: '{"a": 1, "A": 2, "\\u00e9": 3, "e": 4}',
  },
  { name: "strings full of structure", text: '{"a": "}{][,\\"", "b": "\\\\\\"", "c": ""}' },
  { name: "scalars and empty containers", text: '[1, -2.5e3, true, false, null, {}, [], ""]' },
];

Deno.test("text without a duplicate key parses as JSON.parse does", async (t) => {
  for (const c of CLEAN) {
    await t.step(c.name, () => assert.deepEqual(parseStrictJson(c.text), JSON.parse(c.text)));
  }
});

Deno.test("text that is not JSON is refused by JSON.parse's own SyntaxError", () => {
  assert.throws(() => parseStrictJson('{"a": 1,'), SyntaxError);
  assert.throws(() => parseStrictJson(""), SyntaxError);
});

Deno.test("any JSON.stringify output has no duplicate; adding a key that exists is found at its path", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), (value, pretty) => {
      const text = JSON.stringify(value, null, pretty ? 2 : undefined);
      assert.equal(findDuplicateKey(text), undefined);
      // The first non-empty object found depth-first, and the path to it.
      const target = firstObject(value, []);
      if (target === undefined) return;
      const key = Object.keys(target.object)[0]!;
      const marked = JSON.stringify(value, (_k, v) => {
        if (v !== target.object) return v;
        return { ...v, "\u0000dup": null };
      }).replace(`"\\u0000dup":null`, `${JSON.stringify(key)}:0`);
      const found = findDuplicateKey(marked);
      assert.deepEqual(found, { path: [...target.path, key], key });
    }),
    { numRuns: 300 },
  );
});

function firstObject(
  value: unknown,
  path: (string | number)[],
): { object: Record<string, unknown>; path: (string | number)[] } | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = firstObject(v, [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (Object.keys(record).length > 0) return { object: record, path };
  }
  return undefined;
}

Deno.test("scanning a snapshot at the 64 MiB limit costs about what JSON.parse does", () => {
  const link = (i: number) => ({
    addresses: [{ cidr: `10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}/32`, protocol: 150 }],
    alias: 'netform:"big"',
    ifindex: i + 2,
    kind: "veth",
    mac: "52:54:00:12:34:56",
    mtu: 1500,
    name: `v${i}`,
    noarp: false,
    peer: { ifindex: i + 3, namespace: "root" },
    up: true,
  });
  const snapshot = (count: number) =>
    JSON.stringify(
      { namespaces: { root: { links: Array.from({ length: count }, (_, i) => link(i)) } } },
      null,
      2,
    );
  const sample = snapshot(1000).length / 1000;
  const text = snapshot(Math.floor(MAX_SNAPSHOT_BYTES * 0.97 / sample));
  assert.ok(
    text.length > MAX_SNAPSHOT_BYTES * 0.9 && text.length < MAX_SNAPSHOT_BYTES,
    `${text.length}`,
  );
  let started = performance.now();
  JSON.parse(text);
  const parse = performance.now() - started;
  started = performance.now();
  assert.equal(findDuplicateKey(text), undefined);
  const scan = performance.now() - started;
  console.log(
    `${(text.length / 1024 / 1024).toFixed(1)} MiB: JSON.parse ${parse.toFixed(0)} ms, ` +
      `duplicate scan ${scan.toFixed(0)} ms`,
  );
  // Measured here: 200-650 ms each. Generous, for a loaded machine.
  assert.ok(scan < Math.max(4 * parse, 3000), `scan ${scan} ms, parse ${parse} ms`);
});
