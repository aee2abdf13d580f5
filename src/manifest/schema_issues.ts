/**
 * Turns zod issues into manifest issues: a dotted path a user can find in the
 * manifest, a message that quotes the offending value, and a hint.
 *
 * @module
 */
import type { z } from "zod";
import type { ManifestIssue } from "../errors.ts";
import { formatPath } from "./format_path.ts";
import { INPUT_LINK_KINDS } from "./input_schema.ts";

export { formatPath };

/** Every key the input schema knows, for "did you mean" hints on unknown keys. */
const KNOWN_KEYS = [
  "name",
  "namespaces",
  "links",
  "routes",
  "kind",
  "up",
  "mtu",
  "master",
  "addresses",
  "ipvlan",
  "parent",
  "peer",
  "mode",
  "flags",
  "to",
  "via",
  "dev",
  "scope",
  "metric",
  "table",
  "src",
  "type",
];

/** Converts the issues of a failed parse of `input`. */
export function schemaIssues(error: z.ZodError, input: unknown): ManifestIssue[] {
  return error.issues.flatMap((issue) => convert(issue, input));
}

function convert(issue: z.core.$ZodIssue, input: unknown): ManifestIssue[] {
  const path = issue.path;
  const value = valueAt(input, path);
  const last = path.at(-1);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const owner = valueAt(input, path);
        const kind = isRecord(owner) && typeof owner.kind === "string"
          ? ` on a link of kind "${owner.kind}"`
          : "";
        const close = closestKey(key);
        // The kernel keeps ipvlan mode and flags per parent, so the manifest does too.
        const onParent = isRecord(owner) && owner.kind === "ipvlan" &&
          (key === "mode" || key === "flags");
        return {
          path: formatPath([...path, key]),
          message: `Unknown key "${key}"${kind}`,
          hint: onParent
            ? `ipvlan ${key} belongs on the parent: set ipvlan: { ${key}: … } on "${
              String(owner.parent)
            }"`
            : close
            ? `did you mean "${close}"?`
            : `remove "${key}"`,
        };
      });
    case "invalid_union":
      if ("discriminator" in issue && issue.discriminator === "kind") {
        return [{
          path: formatPath(path),
          message: value === undefined ? `Missing "kind"` : `Unknown link kind ${show(value)}`,
          hint: `use one of ${INPUT_LINK_KINDS.map(show).join(", ")}`,
        }];
      }
      return [{ path: formatPath(path), message: issue.message, hint: hintFor(last) }];
    case "invalid_type":
      if (path.length === 0) {
        return [{
          path: "",
          message: `The default export must be a topology object, got ${typeName(value)}`,
          hint: "export default topology({ name, namespaces })",
        }];
      }
      if (value === undefined) {
        return [{
          path: formatPath(path),
          message: `Missing required key "${String(last)}"`,
          hint: `add "${String(last)}"`,
        }];
      }
      // A failed .int() is reported as a type error; the schema words those itself.
      if (issue.expected === "int") {
        return [{ path: formatPath(path), message: issue.message, hint: hintFor(last) }];
      }
      return [{
        path: formatPath(path),
        message: `Expected ${article(issue.expected)}, got ${typeName(value)}`,
        hint: typeof last === "string" && KEY_HINTS[last]
          ? hintFor(last)
          : `use ${article(issue.expected)}`,
      }];
    case "invalid_value":
      return [{
        path: formatPath(path),
        message: `Invalid ${typeof last === "string" ? last : "value"} ${show(value)}`,
        hint: `use one of ${issue.values.map(show).join(", ")}`,
      }];
    default:
      return [{ path: formatPath(path), message: issue.message, hint: hintFor(last) }];
  }
}

/** What to write instead, for keys whose values have limits beyond their type. */
const KEY_HINTS: Readonly<Record<string, string>> = {
  mtu: "use a whole number from 68 to 65535, such as 1500",
  metric: "use a whole number from 0 to 4294967295",
  table: 'use "main", "local", "default" or a table number such as 100',
  addresses: 'use a list of CIDRs, such as ["10.0.0.2/24"]',
  namespaces: "use an object keyed by namespace name, such as { root: {}, ns1: {} }",
  links: 'use an object keyed by link name, such as { eth0: { kind: "existing" } }',
  routes: 'use a list of routes, such as [{ to: "default", via: "10.0.0.1" }]',
  up: "use true or false",
};

function hintFor(key: PropertyKey | undefined): string {
  return (typeof key === "string" ? KEY_HINTS[key] : undefined) ??
    "see the TopologyInput type in src/manifest/topology.ts";
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (!isRecord(value) && !Array.isArray(value)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : String(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${show(value)}`;
  if (typeof value === "number" || typeof value === "boolean") {
    return `the ${typeof value} ${String(value)}`;
  }
  return article(typeof value);
}

function article(type: string): string {
  if (type === "int") return "a whole number";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The known key within edit distance 2 of `key`, if any (catches typos such as "adresses"). */
function closestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of KNOWN_KEYS) {
    const d = editDistance(key.toLowerCase(), known.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(row[j - 1]! + 1, previous[j]! + 1, previous[j - 1]! + cost));
    }
    previous = row;
  }
  return previous[b.length]!;
}
