/**
 * `demo`: the main job end to end on the simulated kernel, no root needed.
 * Plans the HOWTO's two-namespace example on a fresh simulated host, applies
 * it, shows the host, plans again (nothing to do), destroys it and checks the
 * host is back to where it started.
 *
 * @module
 */
import { applyPlan } from "../apply/apply.ts";
import { SimDriver } from "../drivers/sim/driver.ts";
import { loadManifest } from "../manifest/load.ts";
import { plan, planDestroy } from "../plan/planner.ts";
import { renderApplyResult, renderPlan, shouldUseColor } from "../plan/render.ts";
import { Output } from "./output.ts";
import { renderState } from "./show_state.ts";
import type { ExitCode } from "./commands.ts";

const EXAMPLE = new URL("../../examples/howto_two_namespaces.ts", import.meta.url);

export async function demoCommand(): Promise<ExitCode> {
  const out = new Output(false);
  const color = shouldUseColor();
  const driver = await SimDriver.open();
  out.driver(driver);
  const file = EXAMPLE.pathname;
  const topology = await loadManifest(file);
  const start = JSON.stringify(await driver.observe());

  out.line(`\n== plan ${file}\n`);
  const first = plan(topology, await driver.observe());
  out.block(renderPlan(first, { color }), { color });

  out.line(`\n== apply\n`);
  const report = await applyPlan(first, driver, { onStep: (d) => out.line(`  done: ${d}`) });
  const s = report.summary;
  out.line(
    renderApplyResult({
      added: s.add,
      changed: s.change,
      destroyed: s.destroy,
      imported: s.import,
    }),
  );

  out.line(`\n== show\n`);
  out.block(renderState(await driver.observe()));

  out.line(`\n== plan again\n`);
  out.block(renderPlan(plan(topology, await driver.observe()), { color }), { color });

  out.line(`\n== destroy\n`);
  const destroy = planDestroy(topology.name, await driver.observe());
  out.block(renderPlan(destroy, { color }), { color });
  await applyPlan(destroy, driver);
  // Compared as netform observes it: the simulator's MAC counter only moves forward.
  const back = JSON.stringify(await driver.observe()) === start;
  out.line(`\nThe simulated host is ${back ? "exactly as it started" : "NOT as it started"}.`);
  return back ? 0 : 1;
}
