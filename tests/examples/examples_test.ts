/**
 * Every manifest in `examples/` goes through the whole lifecycle on a fresh
 * simulated host: its plan (golden text and JSON), apply, an empty second
 * plan, destroy, and a host exactly as it started.
 *
 * @module
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertGolden } from "../_golden.ts";
import { applyPlan } from "../../src/apply/apply.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { loadManifest } from "../../src/manifest/load.ts";
import { ROOT_NAMESPACE } from "../../src/model/names.ts";
import type { Topology } from "../../src/model/state.ts";
import { linkAddress, namespaceAddress } from "../../src/plan/address.ts";
import { encodePlan } from "../../src/plan/codec.ts";
import type { Plan } from "../../src/plan/plan.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";
import { renderPlan } from "../../src/plan/render.ts";

const EXAMPLES_DIR = fileURLToPath(new URL("../../examples/", import.meta.url));

async function exampleFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(EXAMPLES_DIR)) {
    if (entry.isFile && entry.name.endsWith(".ts")) files.push(entry.name);
  }
  return files.sort();
}

/** Links that are already on the host (`existing`) or come with every namespace (`loopback`). */
const PRE_EXISTING_KINDS = new Set(["existing", "device", "loopback"]);

function assertCreatesEverythingDeclared(topology: Topology, first: Plan): void {
  const actions = new Map(first.changes.map((c) => [c.address, c.action]));
  for (const [namespace, ns] of Object.entries(topology.namespaces)) {
    if (namespace !== ROOT_NAMESPACE) {
      assert.equal(
        actions.get(namespaceAddress(namespace)),
        "create",
        `the plan should create namespace "${namespace}"`,
      );
    }
    for (const [name, link] of Object.entries(ns.links)) {
      const address = linkAddress(namespace, name);
      if (PRE_EXISTING_KINDS.has(link.kind)) {
        // Already on the host: adopted or updated in place, never created.
        assert.notEqual(actions.get(address), "create", `${address} already exists`);
        assert.notEqual(actions.get(address), "replace", `${address} must not be replaced`);
      } else {
        assert.equal(actions.get(address), "create", `the plan should create ${address}`);
      }
    }
  }
  assert.equal(first.kind, "apply");
  assert.equal(first.topology, topology.name);
  assert.equal(first.summary.destroy, 0, "a fresh host has nothing of this topology to destroy");
  assert.ok(
    first.changes.every((c) => c.action === "create" || c.action === "update"),
    "a plan on a fresh host only creates and updates",
  );
}

Deno.test("every example plans, applies, converges and destroys back to the starting host", async (t) => {
  const files = await exampleFiles();
  assert.ok(files.length >= 8, `expected the seed examples in ${EXAMPLES_DIR}, found ${files}`);

  for (const file of files) {
    const name = basename(file, ".ts");
    await t.step(
      `${file}: the plan is as reviewed, apply converges and destroy undoes it`,
      async () => {
        const topology = await loadManifest(join(EXAMPLES_DIR, file));
        const driver = await SimDriver.open();
        const start = await driver.snapshot();

        const first = plan(topology, await driver.observe());
        await assertGolden(
          `testdata/examples/${name}.plan.txt`,
          renderPlan(first, { color: false }),
        );
        await assertGolden(`testdata/examples/${name}.plan.json`, encodePlan(first));
        assertCreatesEverythingDeclared(topology, first);
        assert.ok(first.steps.length > 0, "the plan has steps to run");

        await applyPlan(first, driver);

        const observed = await driver.observe();
        for (const namespace of Object.keys(topology.namespaces)) {
          assert.ok(observed.namespaces[namespace], `namespace "${namespace}" exists after apply`);
          for (const link of Object.keys(topology.namespaces[namespace]!.links)) {
            assert.ok(
              observed.namespaces[namespace]!.links[link],
              `link "${namespace}/${link}" exists after apply`,
            );
          }
        }

        const second = plan(topology, observed);
        assert.deepEqual(
          second.changes.map((c) => `${c.action} ${c.address}`),
          [],
          "a second plan after apply is empty",
        );
        assert.deepEqual(second.steps, []);

        const destroy = planDestroy(topology.name, await driver.observe());
        assert.equal(destroy.kind, "destroy");
        assert.ok(destroy.changes.length > 0, "destroy has something to remove");
        await applyPlan(destroy, driver);

        // The snapshot also holds the simulator's MAC generator (`macSeq`), a
        // counter that is never rewound, like the kernel's: examples that create
        // veths or bridges use it up. Everything else must be byte-identical.
        const end = await driver.snapshot();
        const { macSeq: startSeq, ...startHost } = JSON.parse(start);
        const { macSeq: endSeq, ...endHost } = JSON.parse(end);
        assert.deepEqual(endHost, startHost, "the host is exactly as it started");
        assert.ok(endSeq >= startSeq, "the MAC sequence only moves forward");
        assert.equal(end, start.replace(`"macSeq": ${startSeq},`, `"macSeq": ${endSeq},`));
        assert.deepEqual(
          planDestroy(topology.name, await driver.observe()).changes,
          [],
          "a second destroy is empty",
        );
      },
    );
  }
});
