/**
 * Worker entry that evaluates one manifest module under restricted
 * permissions (see `load.ts`) and posts back its default export as plain data.
 *
 * Protocol: receives `{ url }` once; answers with one {@linkcode WorkerReply}.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import { plainDataIssues } from "./plain_data.ts";

/** What the worker answers with. */
export type WorkerReply =
  | { kind: "value"; value: unknown }
  | { kind: "issues"; issues: ManifestIssue[] }
  | { kind: "error"; name: string; message: string };

// This file runs as a worker, but is type-checked with the window lib like the
// rest of the project, so the worker globals are declared here by hand.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<{ url: string }>) => void) | null;
  postMessage(message: WorkerReply): void;
};

scope.onmessage = (event) => {
  scope.onmessage = null;
  evaluate(event.data.url).then(reply);
};

function reply(message: WorkerReply): void {
  try {
    scope.postMessage(message);
  } catch (error) {
    // Getters or proxies can defeat the plain-data check; report the clone failure instead.
    scope.postMessage({
      kind: "issues",
      issues: [{
        path: "",
        message: `The default export cannot be copied out of the manifest: ${describe(error)}`,
        hint: "a manifest must export plain data: objects, arrays, strings, numbers and booleans",
      }],
    });
  }
}

async function evaluate(url: string): Promise<WorkerReply> {
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    return {
      kind: "error",
      name: error instanceof Error ? error.name : typeof error,
      message: describe(error),
    };
  }
  if (!("default" in module)) {
    return {
      kind: "issues",
      issues: [{
        path: "",
        message: "The manifest has no default export",
        hint: "end it with: export default topology({ name, namespaces })",
      }],
    };
  }
  const issues = plainDataIssues(module.default);
  return issues.length > 0 ? { kind: "issues", issues } : { kind: "value", value: module.default };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
