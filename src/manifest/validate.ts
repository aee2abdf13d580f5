/**
 * Validates a manifest's default export: first its shape (zod), then the
 * cross-references and kernel rules, collecting every issue rather than
 * stopping at the first, so one run shows everything to fix.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import { checkAddresses } from "./check_addresses.ts";
import { checkLinks } from "./check_links.ts";
import { checkNames } from "./check_names.ts";
import { checkRoutes } from "./check_routes.ts";
import { TopologyInputSchema } from "./input_schema.ts";
import { schemaIssues } from "./schema_issues.ts";
import type { TopologyInput } from "./topology.ts";

/** The outcome of {@linkcode parseTopologyInput}. */
export type ParseResult =
  | { ok: true; input: TopologyInput }
  | { ok: false; issues: ManifestIssue[] };

/**
 * Validates `value` and returns the typed input when it has no issues.
 *
 * @example
 * ```ts
 * import { parseTopologyInput } from "./validate.ts";
 * const result = parseTopologyInput({ name: "demo", namespaces: {} });
 * if (!result.ok) console.log(result.issues);
 * ```
 */
export function parseTopologyInput(value: unknown): ParseResult {
  const parsed = TopologyInputSchema.safeParse(value);
  if (!parsed.success) return { ok: false, issues: schemaIssues(parsed.error, value) };
  // The schema accepts `key: undefined` for optional keys (an easy thing to
  // write with a conditional); dropping those keys makes the value match
  // TopologyInput exactly, as exactOptionalPropertyTypes reads it.
  const input = dropUndefined(parsed.data) as TopologyInput;
  const issues = [
    ...checkNames(input),
    ...checkLinks(input),
    ...checkAddresses(input),
    ...checkRoutes(input),
  ];
  return issues.length > 0 ? { ok: false, issues } : { ok: true, input };
}

/**
 * Every problem in a manifest's default export; empty when it is valid.
 *
 * @example
 * ```ts
 * import { validateTopology } from "./validate.ts";
 * validateTopology({ name: "", namespaces: {} });
 * // [{ path: "name", message: "Topology name is empty", hint: "…" }]
 * ```
 */
export function validateTopology(input: unknown): ManifestIssue[] {
  const result = parseTopologyInput(input);
  return result.ok ? [] : result.issues;
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, dropUndefined(v)]),
  );
}
