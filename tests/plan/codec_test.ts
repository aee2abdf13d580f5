import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import type { Operation } from "../../src/model/operations.ts";
import { decodePlan, encodePlan, OperationSchema, PlanSchema } from "../../src/plan/codec.ts";
import { type Change, type Plan, PLAN_FORMAT_VERSION, summarize } from "../../src/plan/plan.ts";

const SOURCE = "lab.plan.json";

const changes: Change[] = [
  {
    address: 'address.ns1.ipvl1["10.0.0.2/24"]',
    type: "address",
    namespace: "ns1",
    action: "create",
    before: null,
    after: { cidr: "10.0.0.2/24", link: "ipvl1" },
    replacePaths: [],
    reason: "",
  },
  {
    address: "link.ns1.ipvl1",
    type: "link",
    namespace: "ns1",
    action: "replace",
    before: { kind: "ipvlan", mtu: 1500, up: true, alias: null },
    after: { kind: "ipvlan", mtu: 9000, up: false, alias: "netform:lab" },
    replacePaths: ["parent"],
    reason: "the parent changed",
  },
  {
    address: "link.old.d0",
    type: "link",
    namespace: "old",
    action: "delete",
    before: { kind: "dummy" },
    after: null,
    replacePaths: [],
    reason: "it is not in the topology",
    cascadeOf: "namespace.old",
  },
  {
    address: "link.root.br1",
    type: "link",
    namespace: "root",
    action: "import",
    before: { kind: "bridge" },
    after: { kind: "bridge" },
    replacePaths: [],
    reason: "",
  },
  {
    address: "namespace.ns1",
    type: "namespace",
    namespace: "ns1",
    action: "create",
    before: null,
    after: { name: "ns1" },
    replacePaths: [],
    reason: "",
  },
  {
    address: "namespace.old",
    type: "namespace",
    namespace: "old",
    action: "delete",
    before: { name: "old" },
    after: null,
    replacePaths: [],
    reason: "it is not in the topology",
  },
  {
    address: 'route.ns1.main["default"]',
    type: "route",
    namespace: "ns1",
    action: "update",
    before: { via: "10.0.0.1" },
    after: { via: "10.0.0.254" },
    replacePaths: [],
    reason: "",
  },
];

const route = {
  to: "0.0.0.0/0",
  type: "unicast",
  via: "10.0.0.254",
  dev: "ipvl1",
  metric: 0,
  table: 254,
  protocol: 150,
} as const;

/** One step of every operation variant, with the optional fields exercised. */
const operations: Array<[string, Operation]> = [
  ["namespace.ns1", { op: "namespace.create", namespace: "ns1" }],
  ["link.ns1.ipvl1", { op: "link.delete", namespace: "ns1", name: "ipvl1" }],
  ["link.ns1.ipvl1", {
    op: "link.create",
    link: {
      namespace: "ns1",
      name: "ipvl1",
      kind: "ipvlan",
      up: false,
      mtu: 9000,
      alias: "netform:lab",
      parent: { namespace: "root", name: "eth0" },
      ipvlan: { mode: "l2", flags: "bridge" },
    },
  }],
  ["link.ns1.ipvl1", {
    op: "link.create",
    link: {
      namespace: "ns1",
      name: "v0",
      kind: "veth",
      up: true,
      master: "br0",
      peer: { namespace: "root", name: "v1", up: true, mtu: 1500 },
    },
  }],
  ["link.ns1.ipvl1", {
    op: "link.create",
    link: {
      namespace: "ns1",
      name: "mv0",
      kind: "macvlan",
      up: true,
      parent: { namespace: "root", name: "eth0" },
      macvlanMode: "bridge",
    },
  }],
  ["link.root.br1", {
    op: "link.update",
    namespace: "root",
    name: "br1",
    changes: {
      alias: "netform:lab",
      master: null,
      up: true,
      mtu: 1500,
      ipvlan: { mode: "l3", flags: "private" },
    },
  }],
  ['address.ns1.ipvl1["10.0.0.2/24"]', {
    op: "address.add",
    namespace: "ns1",
    link: "ipvl1",
    cidr: "10.0.0.2/24",
    protocol: 150,
  }],
  ['address.ns1.ipvl1["10.0.0.2/24"]', {
    op: "address.delete",
    namespace: "ns1",
    link: "ipvl1",
    cidr: "10.0.0.2/24",
  }],
  ['route.ns1.main["default"]', { op: "route.add", namespace: "ns1", route, replace: true }],
  ['route.ns1.main["default"]', {
    op: "route.add",
    namespace: "ns1",
    route: { ...route, scope: "link" },
  }],
  ['route.ns1.main["default"]', { op: "route.delete", namespace: "ns1", route }],
  ["namespace.old", { op: "namespace.delete", namespace: "old" }],
];

const plan: Plan = {
  formatVersion: PLAN_FORMAT_VERSION,
  kind: "apply",
  topology: "lab",
  changes,
  steps: operations.map(([change, operation]) => ({ change, operation })),
  summary: summarize(changes),
  desired: {
    name: "lab",
    namespaces: {
      root: { links: {}, routes: [] },
      ns1: { links: { ipvl1: { kind: "dummy", addresses: [] } }, routes: [] },
    },
  },
};

/** The encoded plan as a mutable JSON value, to break in tests. */
// deno-lint-ignore no-explicit-any
function json(): any {
  return JSON.parse(encodePlan(plan));
}

/** The UsageError message of decoding `value` (JSON-encoded unless a string). */
function decodeError(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  let caught: unknown;
  try {
    decodePlan(text, SOURCE);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof UsageError, `expected a UsageError, got ${String(caught)}`);
  assert.ok(caught.message.startsWith(`Cannot read plan "${SOURCE}": `), caught.message);
  assert.match(caught.message, /re-run `netform plan --out`/);
  return caught.message;
}

Deno.test("a plan decodes to what was encoded", () => {
  assert.deepEqual(decodePlan(encodePlan(plan), SOURCE), plan);
});

Deno.test("every operation variant is covered by the round trip", () => {
  const covered = new Set(plan.steps.map((s) => s.operation.op));
  const all = OperationSchema.options.map((o) => o.shape.op.value);
  assert.deepEqual([...covered].sort(), [...all].sort());
});

Deno.test("an encoded plan is indented JSON with the version first and a trailing newline", () => {
  const text = encodePlan(plan);
  assert.ok(text.startsWith(`{\n  "formatVersion": "${PLAN_FORMAT_VERSION}",\n`));
  assert.ok(text.endsWith("}\n"));
  assert.ok(!text.endsWith("\n\n"));
});

Deno.test("encoding does not depend on the key order of the input", () => {
  const reversed = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).reverse());
  const shuffled = {
    ...reversed({ ...plan }),
    changes: plan.changes.map((c) => ({
      ...reversed({ ...c }),
      before: c.before && reversed(c.before),
      after: c.after && reversed(c.after),
    })),
    steps: plan.steps.map((s) => ({ operation: reversed({ ...s.operation }), change: s.change })),
  } as Plan;
  assert.equal(encodePlan(shuffled), encodePlan(plan));
});

Deno.test("the plan schema accepts an encoded plan as it is", () => {
  assert.equal(PlanSchema.safeParse(json()).success, true);
});

Deno.test("text that is not JSON is refused", () => {
  assert.match(decodeError('{"formatVersion": "1.0",'), /: not valid JSON \(/);
});

Deno.test("JSON that is not an object is refused", () => {
  assert.match(decodeError("[1, 2]"), /: expected a JSON object, got an array;/);
});

Deno.test("a plan of another major format version is refused, naming the supported one", () => {
  const message = decodeError({ ...json(), formatVersion: "2.0" });
  assert.match(
    message,
    /plan format 2\.0 is unsupported; this netform reads plan formats 1\.0, 1\.1, 1\.2;/,
  );
});

Deno.test("a plan of a newer minor format version is refused, naming the supported one", () => {
  const message = decodeError({ ...json(), formatVersion: "1.3" });
  assert.match(
    message,
    /plan format 1\.3 is newer; this netform reads plan formats 1\.0, 1\.1, 1\.2;/,
  );
});

Deno.test("a plan of an earlier minor format version is read", () => {
  for (const version of ["1.0", "1.1"]) {
    const { foreign: _, ...earlier } = json();
    assert.equal(
      decodePlan(JSON.stringify({ ...earlier, formatVersion: version }), "p").formatVersion,
      version,
    );
  }
});

Deno.test("a file without a format version is not taken for a plan", () => {
  const { formatVersion: _, ...rest } = json();
  assert.match(decodeError(rest), /formatVersion: is missing \(not a netform plan\?\)/);
});

Deno.test("a missing field is reported with its path", () => {
  const data = json();
  delete data.changes[1].replacePaths;
  assert.match(decodeError(data), /: changes\[1\]\.replacePaths: is missing \(expected array\);/);
});

Deno.test("an unknown operation is reported at the path of its op", () => {
  const data = json();
  data.steps[3].operation.op = "link.rename";
  assert.match(
    decodeError(data),
    /: steps\[3\]\.operation\.op: unknown operation "link\.rename" \(expected one of namespace\.create, /,
  );
});

Deno.test("a wrong type deep inside a step is reported with its path", () => {
  const data = json();
  data.steps[2].operation.link.mtu = "9000";
  assert.match(
    decodeError(data),
    /: steps\[2\]\.operation\.link\.mtu: expected number, got the string "9000";/,
  );
});

Deno.test("an unknown key in an operation is refused within format 1", () => {
  const data = json();
  data.steps[0].operation.force = true;
  assert.match(decodeError(data), /: steps\[0\]\.operation: unknown key "force";/);
});

Deno.test("an unknown top-level key is refused within format 1", () => {
  assert.match(decodeError({ ...json(), drift: [] }), /: \(top level\): unknown key "drift";/);
});

Deno.test("a value outside an enumeration is reported with the allowed values", () => {
  const data = json();
  data.steps[2].operation.link.ipvlan.mode = "l4";
  assert.match(
    decodeError(data),
    /: steps\[2\]\.operation\.link\.ipvlan\.mode: the string "l4" is not one of "l2", "l3", "l3s";/,
  );
});

Deno.test("a step of no change in the plan is refused", () => {
  const data = json();
  data.steps[0].change = "namespace.ns9";
  assert.match(
    decodeError(data),
    /: steps\[0\]\.change: no change has the address "namespace\.ns9";/,
  );
});

Deno.test("a summary that does not count the changes is refused", () => {
  const data = json();
  data.summary.destroy = 0;
  assert.match(decodeError(data), /: summary\.destroy: is 0 but the changes count 3;/);
});

Deno.test("only the first three problems are listed", () => {
  const data = json();
  for (const step of data.steps) step.change = 1;
  const message = decodeError(data);
  assert.match(message, /steps\[0\]\.change: expected string, got number 1; steps\[1\]\.change/);
  assert.match(message, /; and 9 more;/);
});
