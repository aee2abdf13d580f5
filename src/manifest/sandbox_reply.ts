/**
 * What the sandboxed evaluator (`_child.ts`) answers with, as JSON on one line.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";

/** The manifest's default export as a plain copy, the problems with it, or what it threw. */
export type SandboxReply =
  | { kind: "value"; value: unknown }
  | { kind: "issues"; issues: ManifestIssue[] }
  | { kind: "error"; name: string; message: string };
