/**
 * The commands. Each parses nothing itself: it calls the library and prints.
 *
 * @module
 */
import { applyPlan } from "../apply/apply.ts";
import type { Driver } from "../drivers/driver.ts";
import type { DriverName } from "../drivers/open.ts";
import { UsageError } from "../errors.ts";
import { decodePlan, encodePlan, MAX_PLAN_BYTES } from "../plan/codec.ts";
import type { Plan } from "../plan/plan.ts";
import { plan as planChanges, planDestroy } from "../plan/planner.ts";
import { renderApplyResult, renderPlan, shouldUseColor } from "../plan/render.ts";
import { confirm } from "./confirm.ts";
import { openHost, readManifest } from "./host.ts";
import { Output } from "./output.ts";
import { renderState } from "./show_state.ts";

export interface HostOptions {
  driver: DriverName;
  state?: string;
  json?: boolean;
}

/** Exit codes: 0 success (no changes), 1 error, 2 changes present (with --detailed-exitcode). */
export type ExitCode = 0 | 1 | 2;

export async function validateCommand(
  file: string,
  options: { json?: boolean },
): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const topology = await readManifest(file);
  const namespaces = Object.keys(topology.namespaces).length;
  const links = Object.values(topology.namespaces).reduce(
    (n, ns) => n + Object.keys(ns.links).length,
    0,
  );
  if (out.json) out.data({ valid: true, file, topology });
  else {
    out.line(
      `The manifest "${file}" is valid: topology "${topology.name}", ${namespaces} namespace(s), ${links} link(s).`,
    );
  }
  return 0;
}

export interface PlanOptions extends HostOptions {
  out?: string;
  detailedExitcode?: boolean;
  destroy?: boolean;
}

export async function planCommand(file: string, options: PlanOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const driver = await openHost(out, options);
  const plan = await computePlan(file, driver, options.destroy ?? false);
  if (options.out !== undefined) {
    await Deno.writeTextFile(options.out, encodePlan(plan));
  }
  if (out.json) out.data(encodePlan(plan));
  else {
    out.line(renderPlan(plan, { color: shouldUseColor() }));
    if (options.out !== undefined) {
      out.line(
        `\nSaved the plan to "${options.out}": apply it with "netform apply ${options.out}".`,
      );
    }
  }
  return options.detailedExitcode && plan.changes.length > 0 ? 2 : 0;
}

async function computePlan(file: string, driver: Driver, destroy: boolean): Promise<Plan> {
  const topology = await readManifest(file);
  const observed = await driver.observe();
  return destroy ? planDestroy(topology.name, observed) : planChanges(topology, observed);
}

export interface ApplyOptions extends HostOptions {
  autoApprove?: boolean;
}

/** `apply FILE`: FILE is a manifest, or a plan saved with `plan --out` (`.json`). */
export async function applyCommand(file: string, options: ApplyOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const driver = await openHost(out, options);
  const plan = file.endsWith(".json")
    ? decodePlan(await readText(file, "plan"), file)
    : await computePlan(file, driver, false);
  return await execute(out, driver, plan, options.autoApprove ?? false);
}

export async function destroyCommand(file: string, options: ApplyOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const driver = await openHost(out, options);
  const plan = await computePlan(file, driver, true);
  return await execute(out, driver, plan, options.autoApprove ?? false);
}

async function execute(
  out: Output,
  driver: Driver,
  plan: Plan,
  autoApprove: boolean,
): Promise<ExitCode> {
  out.line(renderPlan(plan, { color: shouldUseColor() }));
  if (plan.changes.length === 0) {
    if (out.json) out.data({ applied: [], summary: plan.summary });
    await driver.flush?.();
    return 0;
  }
  const question = plan.kind === "destroy"
    ? `\nDo you really want to destroy everything topology "${plan.topology}" owns?`
    : `\nDo you want to perform these actions?`;
  if (!(await confirm(out, question, autoApprove))) {
    out.line("\nApply cancelled.");
    return 1;
  }
  out.line("");
  const report = await applyPlan(plan, driver, { onStep: (d) => out.line(`  done: ${d}`) });
  const s = report.summary;
  out.line(
    "\n" +
      renderApplyResult({
        added: s.add,
        changed: s.change,
        destroyed: s.destroy,
        imported: s.import,
      }, { destroy: plan.kind === "destroy" }),
  );
  if (out.json) {
    out.data({
      applied: report.journal.done.map((step) => step.operation),
      summary: report.summary,
    });
  }
  return 0;
}

export async function showCommand(options: HostOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const driver = await openHost(out, options);
  const state = await driver.observe();
  if (out.json) out.data(state);
  else out.line(renderState(state));
  return 0;
}

export async function snapshotCommand(options: HostOptions & { out?: string }): Promise<ExitCode> {
  const out = new Output(true);
  const driver = await openHost(out, options);
  const text = await driver.snapshot();
  if (options.out !== undefined) {
    await Deno.writeTextFile(options.out, text);
    out.line(
      `Wrote a snapshot of the host to "${options.out}"; plan against it with --driver sim --state ${options.out}.`,
    );
  } else out.data(text);
  return 0;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    // Checked before reading, so a huge file is refused without loading it.
    const { size } = await Deno.stat(file);
    if (size > MAX_PLAN_BYTES) {
      throw new UsageError(
        `Cannot read ${what} "${file}": the file is ${(size / 1024 / 1024).toFixed(1)} MiB, ` +
          `larger than ${MAX_PLAN_BYTES / 1024 / 1024} MiB; is it the right file?`,
      );
    }
    return await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`Cannot read ${what} "${file}": ${(e as Error).message}`, { cause: e });
  }
}
