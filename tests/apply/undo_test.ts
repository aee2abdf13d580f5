/**
 * What the plan says a rollback cannot undo exactly, worked out on the simulated kernel before
 * anything runs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { applyPlan } from "../../src/apply/apply.ts";
import { preparePlan } from "../../src/apply/prepare.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { loadManifest } from "../../src/manifest/load.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";
import { renderPlan } from "../../src/plan/render.ts";

const EXAMPLE = new URL("../../examples/veth_router.ts", import.meta.url).pathname;

Deno.test("a plan that only creates has no irreversible steps", async () => {
  const driver = await SimDriver.open();
  const p = plan(await loadManifest(EXAMPLE), await driver.observe());
  preparePlan(p, await driver.observe());
  assert.deepEqual(p.irreversible, []);
  assert.doesNotMatch(renderPlan(p), /cannot undo exactly/);
});

Deno.test("deleting a namespace is named as not exactly undoable: its links come back with new MACs", async () => {
  const driver = await SimDriver.open();
  const topology = await loadManifest(EXAMPLE);
  await applyPlan(plan(topology, await driver.observe()), driver);
  const destroy = planDestroy(topology.name, await driver.observe());
  preparePlan(destroy, await driver.observe());
  const reasons = destroy.irreversible!.map((i) => i.reason).join("\n");
  assert.equal(destroy.irreversible!.length, destroy.steps.length);
  assert.match(
    reasons,
    /the undo creates again namespace "router" \(empty of what netform does not model\)/,
  );
  assert.match(reasons, /link "br0" in "router".*: new ifindex and MAC address/);
  assert.match(
    renderPlan(destroy),
    /Steps that a rollback cannot undo exactly:\n {2}step 1 \(namespace\.h1\): /,
  );
});

Deno.test("a physical NIC in a deleted namespace cannot be given back, and the plan says what", async () => {
  const driver = await SimDriver.open();
  driver.kernel.createNamespace("lab");
  driver.kernel.addPhysical("lab", "enp9s0", { mac: "52:54:00:aa:bb:cc", mtu: 1500, up: true });
  driver.kernel.updateLink("lab", "lo", { alias: "netform:lab" });
  const destroy = planDestroy("lab", await driver.observe());
  // The NIC is not the topology's: destroying its namespace moves it, which must be allowed.
  const observed = await driver.observe();
  assert.throws(
    () => preparePlan(destroy, observed),
    /would also delete or change 1 object\(s\) this topology does not own: link\.lab\.enp9s0 \(moved to the root namespace by step 1, namespace\.lab\)/,
  );
  preparePlan(destroy, observed, { allowCascadeForeign: true });
  assert.deepEqual(destroy.foreign, [{
    object: "link.lab.enp9s0",
    effect: "moved to the root namespace",
    step: 1,
    change: "namespace.lab",
  }]);
  assert.equal(destroy.irreversible!.length, 1);
  assert.match(destroy.irreversible![0]!.reason, /^the undo cannot give back .*link\.lab\.enp9s0/);
});
