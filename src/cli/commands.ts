/**
 * The commands. Each parses nothing itself: it calls the library and prints.
 *
 * @module
 */
import { applyPlan } from "../apply/apply.ts";
import { intentFile, orphanMarks, pendingIntent } from "../apply/intent.ts";
import { confirmPending, readPendingRevert } from "../apply/pending_revert.ts";
import {
  assertFresh,
  assertReplanned,
  assertSameForeign,
  type PreparedPlan,
  preparePlan,
} from "../apply/prepare.ts";
import { openDriver } from "../drivers/open.ts";
import type { HostState } from "../model/state.ts";
import { awaitConfirmation } from "./confirm_window.ts";
import { parseDuration } from "./options.ts";
import { withHostSession } from "./session.ts";
import type { Driver } from "../drivers/driver.ts";
import type { DriverName } from "../drivers/open.ts";
import { UsageError } from "../errors.ts";
import { writeDurably } from "../durable_file.ts";
import { readRegularFile } from "../read_regular_file.ts";
import { decodePlan, encodePlan, MAX_PLAN_BYTES } from "../plan/codec.ts";
import { plan as planChanges, planDestroy } from "../plan/planner.ts";
import { renderApplyResult, renderPlan, shouldUseColor } from "../plan/render.ts";
import { confirm } from "./confirm.ts";
import { openHost, readManifest } from "./host.ts";
import { Output } from "./output.ts";
import { renderState } from "./show_state.ts";

export interface HostOptions {
  driver: DriverName;
  state?: string;
  /** `--state-init`: the state file does not exist yet; start from a fresh default host. */
  stateInit?: boolean;
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

/** `--allow-cascade-foreign`: see `PreparePlanOptions.allowCascadeForeign`. */
export interface CascadeOptions {
  allowCascadeForeign?: boolean;
}

export interface PlanOptions extends HostOptions, CascadeOptions {
  out?: string;
  detailedExitcode?: boolean;
  destroy?: boolean;
}

export async function planCommand(file: string, options: PlanOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const driver = await openHost(out, options);
  const topology = await readManifest(file);
  const observed = await observeForPlan(out, driver);
  const cascade = cascadeOptions(options);
  const plan = options.destroy
    ? planDestroy(topology.name, observed, cascade)
    : planChanges(topology, observed, cascade);
  preparePlan(plan, observed, cascade);
  if (options.out !== undefined) {
    await writeDurably(options.out, encodePlan(plan), { what: "the plan" });
  }
  if (out.json) out.data(encodePlan(plan));
  else {
    const color = shouldUseColor();
    out.block(renderPlan(plan, { color }), { color });
    if (options.out !== undefined) {
      out.line(
        `\nSaved the plan to "${options.out}": apply it with "netform apply ${options.out}".`,
      );
    }
  }
  return options.detailedExitcode && plan.changes.length > 0 ? 2 : 0;
}

/**
 * `plan` takes no lock and changes nothing; when a killed apply left objects
 * unmarked, it plans as if they were marked (the next apply or destroy marks
 * them first) and says so.
 */
async function observeForPlan(out: Output, driver: Driver): Promise<HostState> {
  const observed = await driver.observe();
  const files = driver.runFiles;
  const record = files ? await pendingIntent(files.intent) : undefined;
  if (!record) return observed;
  const marks = orphanMarks(observed, record);
  for (const op of marks) {
    if (op.op !== "link.update" || op.changes.alias == null) continue;
    observed.namespaces[op.namespace]!.links[op.name]!.alias = op.changes.alias;
  }
  out.line(
    `Note: an apply of topology "${record.topology}" (pid ${record.pid}) did not finish; ` +
      `${marks.length} object(s) it made are not yet marked as owned. The next apply or ` +
      `destroy marks them first; this plan counts them as marked.`,
  );
  return observed;
}

export interface ApplyOptions extends HostOptions, CascadeOptions {
  autoApprove?: boolean;
  /** `--no-rollback` sets this to false. */
  rollback?: boolean;
  lockTimeout?: string;
  confirmWithin?: string;
}

/** `apply FILE`: FILE is a manifest, or a plan saved with `plan --out` (`.json`). */
export async function applyCommand(file: string, options: ApplyOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const saved = file.endsWith(".json") ? decodePlan(await readText(file, "plan"), file) : undefined;
  const topology = saved ? undefined : await readManifest(file);
  const driver = await openHost(out, options);
  return await withHostSession(out, driver, sessionOptions("apply", options), async () => {
    // Planned (or checked) only once the host is ours: it may have changed while we waited.
    const observed = await driver.observe();
    if (saved) {
      assertFresh(saved, observed, file);
      assertReplanned(saved, observed, file);
      // The file lists what it lets go; planning again found the same plan, so the same list.
      const prepared = preparePlan(saved, observed, { allowCascadeForeign: true });
      assertSameForeign(saved, prepared.plan, file);
      return await execute(out, driver, prepared, observed, options);
    }
    const cascade = cascadeOptions(options);
    const plan = planChanges(topology!, observed, cascade);
    return await execute(out, driver, preparePlan(plan, observed, cascade), observed, options);
  });
}

export async function destroyCommand(file: string, options: ApplyOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const topology = await readManifest(file);
  const driver = await openHost(out, options);
  return await withHostSession(out, driver, sessionOptions("destroy", options), async () => {
    const observed = await driver.observe();
    const cascade = cascadeOptions(options);
    const plan = planDestroy(topology.name, observed, cascade);
    return await execute(out, driver, preparePlan(plan, observed, cascade), observed, options);
  });
}

function cascadeOptions(options: CascadeOptions): CascadeOptions {
  return { allowCascadeForeign: options.allowCascadeForeign ?? false };
}

function sessionOptions(command: string, options: ApplyOptions) {
  return {
    command,
    lockTimeoutMs: parseDuration(options.lockTimeout ?? "0s", "--lock-timeout"),
  };
}

async function execute(
  out: Output,
  driver: Driver,
  prepared: PreparedPlan,
  observed: HostState,
  options: ApplyOptions,
): Promise<ExitCode> {
  const { plan, forecast, scope } = prepared;
  const confirmWithinMs = options.confirmWithin === undefined
    ? undefined
    : parseDuration(options.confirmWithin, "--confirm-within");
  if (confirmWithinMs !== undefined && driver.runFiles === undefined) {
    throw new UsageError(
      "Cannot use --confirm-within with a simulator kept in memory: pass --state FILE",
    );
  }
  const color = shouldUseColor();
  out.block(renderPlan(plan, { color }), { color });
  if (plan.changes.length === 0) {
    if (out.json) out.data({ applied: [], summary: plan.summary });
    await driver.flush?.();
    return 0;
  }
  const question = plan.kind === "destroy"
    ? `\nDo you really want to destroy everything topology "${plan.topology}" owns?`
    : `\nDo you want to perform these actions?`;
  if (!(await confirm(out, question, options.autoApprove ?? false))) {
    out.line("\nApply cancelled.");
    return 1;
  }
  out.line("");
  const files = driver.runFiles;
  const report = await applyPlan(plan, driver, {
    onStep: (d) => out.line(`  done: ${d}`),
    rollback: options.rollback ?? true,
    observed,
    forecast,
    scope,
    allowCascadeForeign: true, // checked by preparePlan, which listed them in the plan
    foreign: plan.foreign ?? [],
    undoOnSuccess: confirmWithinMs !== undefined,
    ...(files ? { intent: intentFile(files.intent, plan.topology) } : {}),
  });
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
  let code: ExitCode = 0;
  if (confirmWithinMs !== undefined) {
    code = await awaitConfirmation(out, driver, report, {
      withinMs: confirmWithinMs,
      driverArgs: driverArgs(options),
      topology: plan.topology,
      observed,
      scope,
    });
  }
  if (out.json) {
    out.data({
      applied: report.journal.done.map((step) => step.operation),
      summary: report.summary,
      ...(confirmWithinMs !== undefined ? { kept: code === 0 } : {}),
    });
  }
  return code;
}

function driverArgs(options: HostOptions): string[] {
  return ["--driver", options.driver, ...(options.state ? ["--state", options.state] : [])];
}

/** `netform confirm`: keeps the change an `apply --confirm-within` is waiting on. */
export async function confirmCommand(options: HostOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const driver = await openDriver(options.driver, {
    ...(options.state ? { state: options.state } : {}),
    ...(options.stateInit ? { stateInit: true } : {}),
  });
  const files = driver.runFiles;
  if (files === undefined) {
    throw new UsageError("Cannot confirm with a simulator kept in memory: pass --state FILE");
  }
  const record = await confirmPending(files.pendingRevert, files.what);
  out.line(
    `Confirmed the apply of topology "${record.topology}" (pid ${record.pid}) on ${files.what}: ` +
      `the change is kept.`,
  );
  if (out.json) out.data({ confirmed: true, topology: record.topology, pid: record.pid });
  return 0;
}

/**
 * `netform revert-pending` (started detached by `apply --confirm-within`):
 * sleeps until the deadline, then takes the lock and reverts unless the
 * apply was confirmed (or the waiting apply already reverted it).
 */
export async function revertPendingCommand(options: HostOptions): Promise<ExitCode> {
  const out = new Output(false);
  const driver = await openDriver(options.driver, options.state ? { state: options.state } : {});
  const files = driver.runFiles;
  if (files === undefined) return 1;
  const record = await readPendingRevert(files.pendingRevert);
  if (record === undefined) return 0;
  const wait = Date.parse(record.deadline) - Date.now() + 200;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  // Confirmed (or reverted) meanwhile: nothing to lock for.
  if (await readPendingRevert(files.pendingRevert) === undefined) return 0;
  await withHostSession(
    out,
    driver,
    { command: "revert-pending", lockTimeoutMs: 10 * 60_000, refuseWhilePending: false },
    () => Promise.resolve(),
  );
  return 0;
}

export async function showCommand(options: HostOptions): Promise<ExitCode> {
  const out = new Output(options.json ?? false);
  const driver = await openHost(out, options);
  const state = await driver.observe();
  if (out.json) out.data(state);
  else out.block(renderState(state));
  return 0;
}

export async function snapshotCommand(options: HostOptions & { out?: string }): Promise<ExitCode> {
  const out = new Output(true);
  const driver = await openHost(out, options);
  const text = await driver.snapshot();
  if (options.out !== undefined) {
    await writeDurably(options.out, text, { what: "the snapshot" });
    out.line(
      `Wrote a snapshot of the host to "${options.out}"; plan against it with --driver sim --state ${options.out}.`,
    );
  } else out.data(text);
  return 0;
}

/** A saved plan's text: a regular file within the size limit (see `read_regular_file.ts`). */
async function readText(file: string, what: string): Promise<string> {
  const read = await readRegularFile(file, MAX_PLAN_BYTES);
  switch (read.kind) {
    case "read":
      return read.text;
    case "missing":
      throw new UsageError(`Cannot read ${what} "${file}": it does not exist; check the path`);
    case "too-large":
      throw new UsageError(`Cannot read ${what} "${file}": ${read.detail}`);
    case "refused":
      throw new UsageError(
        `Cannot read ${what} "${file}": ${read.detail}; pass a plan saved with \`netform plan --out\``,
      );
  }
}
