/**
 * The journal of an apply: every step with its outcome, in the order run. It is
 * what a failed apply reports (what was done, what failed, what never ran).
 *
 * @module
 */
import type { Step } from "../plan/plan.ts";
import { describeOperation } from "./describe.ts";

export type StepOutcome = "done" | "failed" | "skipped";

export interface JournalEntry {
  step: Step;
  outcome: StepOutcome;
  error?: string;
}

export class Journal {
  readonly entries: JournalEntry[] = [];

  record(step: Step, outcome: StepOutcome, error?: string): void {
    this.entries.push(error === undefined ? { step, outcome } : { step, outcome, error });
  }

  get done(): Step[] {
    return this.entries.filter((e) => e.outcome === "done").map((e) => e.step);
  }

  /** One line per entry: `done   link.create ns1/ipvl1`. */
  render(): string {
    return this.entries
      .map((e) =>
        `  ${e.outcome.padEnd(7)} ${describeOperation(e.step.operation)}${
          e.error ? `: ${e.error}` : ""
        }`
      )
      .join("\n");
  }
}
