/**
 * Plans with more work than FORECAST_WORK_LIMIT are not modelled step by step (that cost grew
 * with steps × objects: 963 steps took 12 s). They must still roll back exactly, from the host, and
 * still name what a rollback cannot undo exactly.
 *
 * @module
 */
import assert from "node:assert/strict";
import { applyPlan } from "../../src/apply/apply.ts";
import { preparePlan } from "../../src/apply/prepare.ts";
import {
  FORECAST_WORK_LIMIT,
  forecastUndo,
  forecastWork,
  irreversibleSteps,
} from "../../src/apply/undo.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { ApplyError } from "../../src/errors.ts";
import type { TopologyInput } from "../../src/manifest/topology.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import { FailingDriver } from "../_failing_driver.ts";
import { plan } from "../../src/plan/planner.ts";

/** `n` namespaces, each with a veth pair to a shared bridge namespace, addresses and a route. */
function tenants(n: number): TopologyInput {
  const namespaces: Record<string, unknown> = {};
  const ports: Record<string, unknown> = { br0: { kind: "bridge" } };
  for (let i = 0; i < n; i++) {
    ports[`p${i}`] = { kind: "veth", peer: `t${i}/eth0`, master: "br0" };
    namespaces[`t${i}`] = {
      links: {
        lo: { kind: "loopback" },
        eth0: { kind: "veth", peer: `sw/p${i}`, addresses: [`10.60.${i}.2/24`] },
      },
      routes: [{ to: "default", via: `10.60.${i}.1` }],
    };
  }
  namespaces["sw"] = { links: ports };
  return { name: "long", namespaces } as TopologyInput;
}

const desired = validateManifestValue("long_plan_test.ts", tenants(80));

Deno.test("a plan too large to model is rolled back exactly, from the host", async () => {
  const driver = await SimDriver.open();
  const before = await driver.observe();
  const long = plan(desired, before);
  assert.ok(forecastWork(long.steps, before) > FORECAST_WORK_LIMIT, `${long.steps.length} steps`);
  const { forecast } = preparePlan(long, before);
  assert.equal(forecast.skipped, true);
  for (const failAt of [0, 1, Math.floor(long.steps.length / 2), long.steps.length - 1]) {
    const error = await applyPlan(long, new FailingDriver(driver, failAt), { forecast }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ApplyError, `step ${failAt + 1} fails`);
    assert.equal(error.rollback, "restored", error.message);
    assert.deepEqual(await driver.observe(), before, `back to before after step ${failAt + 1}`);
  }
});

Deno.test("a plan too large to model names the steps that delete as not exactly undoable", () => {
  const long = plan(desired, { namespaces: {} });
  const steps = [
    ...long.steps,
    { change: "namespace.old", operation: { op: "namespace.delete", namespace: "old" } as const },
  ];
  assert.ok(forecastWork(steps, { namespaces: {} }) > FORECAST_WORK_LIMIT);
  const irreversible = irreversibleSteps(steps, forecastUndo(steps, { namespaces: {} }));
  assert.deepEqual(irreversible.map((i) => [i.step, i.change]), [[steps.length, "namespace.old"]]);
  assert.match(
    irreversible[0]!.reason,
    /create again what this deletes \(new ifindex and MAC address\)/,
  );
});
