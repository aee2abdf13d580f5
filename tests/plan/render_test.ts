import assert from "node:assert/strict";
import { assertGolden } from "../_golden.ts";
import { type Change, type Plan, PLAN_FORMAT_VERSION, summarize } from "../../src/plan/plan.ts";
import { renderApplyResult, renderPlan, shouldUseColor } from "../../src/plan/render.ts";

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[/;

function plan(changes: Change[], kind: Plan["kind"] = "apply"): Plan {
  const sorted = [...changes].sort((
    a,
    b,
  ) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    kind,
    topology: "lab",
    changes: sorted,
    steps: [],
    summary: summarize(sorted),
    desired: { name: "lab", namespaces: { root: { links: {}, routes: [] } } },
  };
}

const createLink: Change = {
  address: "link.ns1.ipvl1",
  type: "link",
  namespace: "ns1",
  action: "create",
  before: null,
  after: {
    name: "ipvl1",
    kind: "ipvlan",
    parent: "root/eth0",
    mode: "l2",
    flags: "bridge",
    mtu: 1500,
    up: true,
    alias: null,
  },
  replacePaths: [],
  reason: "",
};

const createAddress: Change = {
  address: 'address.ns1.ipvl1["10.0.0.2/24"]',
  type: "address",
  namespace: "ns1",
  action: "create",
  before: null,
  after: { cidr: "10.0.0.2/24", link: "ipvl1" },
  replacePaths: [],
  reason: "",
};

const updateLink: Change = {
  address: "link.ns1.br0",
  type: "link",
  namespace: "ns1",
  action: "update",
  before: { name: "br0", kind: "bridge", mtu: 1500, up: false, alias: null, master: "br9" },
  after: { name: "br0", kind: "bridge", mtu: 9000, up: true, alias: "uplink" },
  replacePaths: [],
  reason: "",
};

const replaceLink: Change = {
  address: "link.ns2.mv0",
  type: "link",
  namespace: "ns2",
  action: "replace",
  before: {
    name: "mv0",
    kind: "macvlan",
    parent: "root/eth0",
    mode: "bridge",
    mtu: 1500,
    up: true,
  },
  after: { name: "mv0", kind: "macvlan", parent: "root/eth1", mode: "bridge", mtu: 1400, up: true },
  replacePaths: ["parent"],
  reason: "the kernel cannot change the parent of a link",
};

const deleteNamespace: Change = {
  address: "namespace.old",
  type: "namespace",
  namespace: "old",
  action: "delete",
  before: { name: "old" },
  after: null,
  replacePaths: [],
  reason: "it is not in the topology",
};

const cascadeDelete: Change = {
  address: "link.old.d0",
  type: "link",
  namespace: "old",
  action: "delete",
  before: { name: "d0", kind: "dummy", mtu: 1500, up: true },
  after: null,
  replacePaths: [],
  reason: "because it is not in the topology",
  cascadeOf: "namespace.old",
};

const importLink: Change = {
  address: "link.root.br1",
  type: "link",
  namespace: "root",
  action: "import",
  before: { name: "br1", kind: "bridge", mtu: 1500, up: true, alias: null },
  after: { name: "br1", kind: "bridge", mtu: 1500, up: true, alias: "netform:lab" },
  replacePaths: [],
  reason: "",
};

const createRoute: Change = {
  address: 'route.ns1.main["default"]',
  type: "route",
  namespace: "ns1",
  action: "create",
  before: null,
  after: {
    to: "0.0.0.0/0",
    type: "unicast",
    via: "10.0.0.1",
    dev: "ipvl1",
    metric: 0,
    table: "main",
  },
  replacePaths: [],
  reason: "",
};

const everything = plan([
  createLink,
  createAddress,
  updateLink,
  replaceLink,
  deleteNamespace,
  cascadeDelete,
  importLink,
  createRoute,
]);

Deno.test("each kind of change renders as in its golden file", async (t) => {
  const cases: Array<[string, Plan]> = [
    ["create", plan([createLink, createAddress, createRoute])],
    ["update", plan([updateLink])],
    ["replace", plan([replaceLink])],
    ["delete", plan([deleteNamespace])],
    ["cascade_delete", plan([deleteNamespace, cascadeDelete], "destroy")],
    ["import", plan([importLink])],
    ["empty", plan([])],
    ["destroy_empty", plan([], "destroy")],
    ["all_actions", everything],
  ];
  for (const [name, p] of cases) {
    await t.step(name, () => assertGolden(`testdata/render/${name}.txt`, renderPlan(p)));
  }
});

Deno.test("a coloured plan renders as in its golden file", async () => {
  await assertGolden(
    "testdata/render/all_actions_color.txt",
    renderPlan(everything, { color: true }),
  );
});

Deno.test("without the color option the output has no ANSI codes", () => {
  for (const p of [everything, plan([]), plan([], "destroy")]) {
    assert.doesNotMatch(renderPlan(p), ANSI);
    assert.doesNotMatch(renderPlan(p, { color: false }), ANSI);
  }
  assert.doesNotMatch(renderApplyResult({ added: 1, changed: 2, destroyed: 3, imported: 4 }), ANSI);
});

Deno.test("coloured output reads the same once the ANSI codes are removed", () => {
  // deno-lint-ignore no-control-regex
  const stripped = renderPlan(everything, { color: true }).replace(/\x1b\[\d+m/g, "");
  assert.equal(stripped, renderPlan(everything));
});

Deno.test("an empty apply plan names the topology and an empty destroy plan says nothing needs destroying", () => {
  assert.equal(renderPlan(plan([])), 'No changes. The host matches the topology "lab".\n');
  assert.equal(renderPlan(plan([], "destroy")), "No objects need to be destroyed.\n");
});

Deno.test("the legend lists only the symbols the plan uses", () => {
  const out = renderPlan(plan([updateLink, deleteNamespace]));
  assert.match(out, /^ {2}~ update in-place$/m);
  assert.match(out, /^ {2}- destroy$/m);
  assert.doesNotMatch(out, /^ {2}\+ create$/m);
  assert.doesNotMatch(out, /^-\/\+ destroy and then create replacement$/m);
  assert.doesNotMatch(out, /^ {2}= import$/m);
});

Deno.test("attribute lines of a block are aligned on the equals sign", () => {
  const lines = renderPlan(plan([createLink])).split("\n").filter((l) => /^ {6}\+ /.test(l));
  assert.ok(lines.length > 1);
  const columns = new Set(lines.map((l) => l.indexOf(" = ")));
  assert.equal(columns.size, 1);
});

Deno.test("only attributes in replacePaths are marked as forcing replacement", () => {
  const out = renderPlan(plan([replaceLink]));
  assert.match(out, /~ parent = "root\/eth0" -> "root\/eth1" # forces replacement$/m);
  assert.match(out, /~ mtu {4}= 1500 -> 1400$/m);
});

Deno.test("one hidden unchanged attribute is counted in the singular", () => {
  const out = renderPlan(
    plan([{ ...updateLink, before: { mtu: 1500, up: true }, after: { mtu: 9000, up: true } }]),
  );
  assert.match(out, /# \(1 unchanged attribute hidden\)/);
});

Deno.test("the summary line prefixes imports only when there are some", () => {
  assert.match(
    renderPlan(everything),
    /^Plan: 1 to import, 4 to add, 1 to change, 3 to destroy\.$/m,
  );
  assert.match(renderPlan(plan([createLink])), /^Plan: 1 to add, 0 to change, 0 to destroy\.$/m);
});

Deno.test("the apply result counts imports only when there were some", () => {
  assert.equal(
    renderApplyResult({ added: 2, changed: 1, destroyed: 3, imported: 0 }),
    "Apply complete! Resources: 2 added, 1 changed, 3 destroyed.\n",
  );
  assert.equal(
    renderApplyResult({ added: 2, changed: 1, destroyed: 3, imported: 1 }),
    "Apply complete! Resources: 1 imported, 2 added, 1 changed, 3 destroyed.\n",
  );
});

Deno.test({
  name: "colour is off when stdout is not a terminal",
  ignore: Deno.stdout.isTerminal(),
  fn: () => assert.equal(shouldUseColor(), false),
});
