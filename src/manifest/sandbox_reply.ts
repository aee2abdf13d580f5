/**
 * What the sandboxed evaluator (`_child.ts`) answers with, as JSON on one
 * line, and the bounds its answer keeps to. The parent checks every answer
 * against this shape and these bounds itself (`sandbox_answer.ts`).
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";

/** The manifest's default export as a plain copy, the problems with it, or what it threw. */
export type SandboxReply =
  | { kind: "value"; value: unknown }
  | { kind: "issues"; issues: ManifestIssue[] }
  | { kind: "error"; name: string; message: string };

/** Most issues in one answer (the evaluator stops copying at this many). */
export const MAX_ISSUES = 10;
/** Longest string in an issue or an error, in UTF-16 code units (the evaluator clips to it). */
export const MAX_TEXT = 4096;
