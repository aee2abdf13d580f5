/**
 * The output boundary (`src/cli/output.ts`) and the plan renderer against names and values that
 * would spoof a terminal: whatever reaches them, nothing is written that a terminal would act
 * on except the line breaks netform composed and, with colour on, its own SGR codes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { terminalBlock, terminalJson, terminalLine } from "../../src/cli/output.ts";
import { renderState } from "../../src/cli/show_state.ts";
import { applyPlan } from "../../src/apply/apply.ts";
import { preparePlan } from "../../src/apply/prepare.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { SimKernel } from "../../src/drivers/sim/kernel.ts";
import { defaultHost } from "../../src/drivers/sim/snapshot.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import type { Operation } from "../../src/model/operations.ts";
import type { HostState, Topology } from "../../src/model/state.ts";
import type { Plan } from "../../src/plan/plan.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";
import { renderPlan } from "../../src/plan/render.ts";

const RAW =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;

const HOSTILE = [
  { name: "ESC [8m (hides the rest)", text: "a\x1b[8mb", escaped: "a\\u001b[8mb" },
  { name: "a newline and a fake plan line", text: "a\nPlan: 0", escaped: "a\\nPlan: 0" },
  { name: "a carriage return", text: "ok\rPlan", escaped: "ok\\rPlan" },
  { name: "a C1 CSI", text: "a\u009b2J", escaped: "a\\u009b2J" },
  { name: "OSC title with BEL", text: "\x1b]0;x\x07", escaped: "\\u001b]0;x\\u0007" },
  { name: "a right-to-left override", text: "a\u202eb", escaped: "a\\u202eb" },
  { name: "a line separator", text: "a\u2028b", escaped: "a\\u2028b" },
  { name: "DEL", text: "a\x7fb", escaped: "a\\u007fb" },
] as const;

Deno.test("terminalLine escapes every control, newlines inside the line included", async (t) => {
  for (const c of HOSTILE) {
    await t.step(c.name, () => {
      const out = terminalLine(`Error: ${c.text}`);
      assert.equal(out, `Error: ${c.escaped}`);
      assert.doesNotMatch(out, RAW);
    });
  }
  await t.step("the blank lines around a line are layout and kept", () => {
    assert.equal(terminalLine("\nError: a\nb\n"), "\nError: a\\nb\n");
  });
});

Deno.test("terminalBlock keeps LF and TAB only, and netform's own SGR codes only with colour", async (t) => {
  for (const c of HOSTILE.filter((h) => !h.text.includes("\n"))) {
    await t.step(c.name, () => {
      const out = terminalBlock(`line 1\n\tline ${c.text}`, { color: true });
      assert.equal(out, `line 1\n\tline ${c.escaped}`);
      assert.doesNotMatch(out.replace(/[\n\t]/g, ""), RAW);
    });
  }
  await t.step("an SGR code netform writes (bold) stays with colour, is escaped without", () => {
    assert.equal(terminalBlock("\x1b[1mPlan:\x1b[22m", { color: true }), "\x1b[1mPlan:\x1b[22m");
    assert.equal(terminalBlock("\x1b[1mPlan:\x1b[22m"), "\\u001b[1mPlan:\\u001b[22m");
  });
  await t.step("ESC [8m is not one of netform's codes: escaped even with colour", () => {
    assert.equal(terminalBlock("\x1b[8m", { color: true }), "\\u001b[8m");
  });
});

Deno.test("terminalJson writes what JSON leaves raw as \\u escapes: the same value", async (t) => {
  for (const c of HOSTILE) {
    await t.step(c.name, () => {
      const json = JSON.stringify({ name: c.text }, null, 2);
      const out = terminalJson(json);
      assert.doesNotMatch(out.replace(/\n/g, ""), RAW);
      assert.deepEqual(JSON.parse(out), { name: c.text });
    });
  }
});

/**
 * A simulated host where topology "t" owns namespace ns1 (lo, br0), and then someone added, with
 * the hostile `text` in each name (`linkText` in the links'): a foreign namespace, a veth from ns1 into it, and an alias.
 */
async function hostileHost(
  text: string,
  linkText = text,
): Promise<{ topology: Topology; driver: SimDriver }> {
  const topology = validateManifestValue("topology.ts", {
    name: "t",
    namespaces: { ns1: { links: { lo: { kind: "loopback" }, br0: { kind: "bridge" } } } },
  });
  const driver = new SimDriver(new SimKernel(defaultHost().state));
  await applyPlan(plan(topology, await driver.observe()), driver);
  const kernel = driver.kernel;
  const foreign = `f${text}`;
  const ops: Operation[] = [
    { op: "namespace.create", namespace: foreign },
    {
      op: "link.create",
      link: {
        namespace: "ns1",
        name: `v${linkText}`,
        kind: "veth",
        up: false,
        alias: `alias ${text}`,
        peer: { namespace: foreign, name: `p${linkText}`, up: false },
      },
    },
  ];
  for (const op of ops) kernel.execute(op);
  return { topology, driver };
}

/** The destroy plan of `topology`, prepared as the CLI does with `--allow-cascade-foreign`. */
function destroyPlan(topology: Topology, host: HostState): Plan {
  return preparePlan(planDestroy(topology.name, host), host, { allowCascadeForeign: true }).plan;
}

/** `out` has no raw control character (but LF, TAB and SGR codes) and no spoofed line. */
function assertInert(out: string): void {
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(out.replace(/\x1b\[\d+m/g, "").replace(/[\n\t]/g, ""), RAW);
  assert.ok(!out.split("\n").some((l) => l.startsWith("Plan: 9")), out);
}

Deno.test("a plan and show print hostile names from the host escaped, on their own lines", async (t) => {
  // A newline or a CR is a space to dev_valid_name: no link can be named with one.
  for (const c of HOSTILE.filter((h) => !/[\n\r]/.test(h.text))) {
    await t.step(c.name, async () => {
      const { topology, driver } = await hostileHost(c.text);
      const host = await driver.observe();
      const text = renderPlan(destroyPlan(topology, host), { color: true });
      assert.ok(text.includes(`link.ns1.v${c.escaped}`), text);
      assert.ok(text.includes(`link.f${c.escaped}.p${c.escaped}`), text);
      assertInert(terminalBlock(text, { color: true }));
      const shown = renderState(host);
      assert.ok(shown.includes(`namespace "f${c.escaped}"`), shown);
      assert.ok(shown.includes(`"alias ${c.escaped}"`), shown);
      assertInert(terminalBlock(shown));
    });
  }
  await t.step("a namespace name with a newline and a fake plan line", async () => {
    const { topology, driver } = await hostileHost("\nPlan: 9 to add", "");
    const host = await driver.observe();
    const text = renderPlan(destroyPlan(topology, host));
    assert.ok(text.includes("link.f\\nPlan: 9 to add.p: deleted by step"), text);
    assertInert(terminalBlock(text));
  });
  await t.step("the refusal of such a plan names them escaped, on one line", async () => {
    const { topology, driver } = await hostileHost("\nPlan: 9 to add", "");
    const host = await driver.observe();
    let message = "";
    try {
      preparePlan(planDestroy(topology.name, host), host);
    } catch (error) {
      message = (error as Error).message;
    }
    assert.ok(message.includes("link.f\nPlan: 9 to add.p"), message);
    assertInert(terminalLine(message));
  });
});
