/**
 * The journal of an apply: every step with its outcome, in the order run, and
 * for each step that was done the operations that undo it. It is what a
 * failed apply reports (what was done, what failed, what never ran, what was
 * undone) and what a rollback runs, last step first.
 *
 * @module
 */
import type { Operation } from "../model/operations.ts";
import type { Step } from "../plan/plan.ts";
import { describeOperation } from "./describe.ts";

export type StepOutcome = "done" | "failed" | "skipped" | "undone";

export interface JournalEntry {
  step: Step;
  outcome: StepOutcome;
  error?: string;
  /** Operations that undo this step, in the order to run them. */
  undo?: Operation[];
}

export class Journal {
  readonly entries: JournalEntry[] = [];

  record(
    step: Step,
    outcome: StepOutcome,
    detail: { error?: string; undo?: Operation[] } = {},
  ): void {
    const entry: JournalEntry = { step, outcome };
    if (detail.error !== undefined) entry.error = detail.error;
    if (detail.undo !== undefined) entry.undo = detail.undo;
    this.entries.push(entry);
  }

  /** Steps done and still in effect. */
  get done(): Step[] {
    return this.entries.filter((e) => e.outcome === "done").map((e) => e.step);
  }

  /** Steps done and then undone by a rollback. */
  get undone(): Step[] {
    return this.entries.filter((e) => e.outcome === "undone").map((e) => e.step);
  }

  /** The operations that undo every step in effect, last step first. */
  undoOperations(): Operation[] {
    return this.entries.filter((e) => e.outcome === "done").reverse().flatMap((e) => e.undo ?? []);
  }

  /** One line per entry: `  done    create veth "v1" in namespace "ns1"`. */
  lines(): string[] {
    return this.entries.map((e) =>
      `  ${e.outcome.padEnd(7)} ${describeOperation(e.step.operation)}${
        e.error ? `: ${e.error}` : ""
      }`
    );
  }
}
