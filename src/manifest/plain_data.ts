/**
 * Checks that a manifest's default export is plain data (what survives a
 * structured clone unchanged and means the same on the other side): no
 * functions, symbols, class instances or cycles.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import { formatPath } from "./schema_issues.ts";

const HINT = "a manifest must export plain data: objects, arrays, strings, numbers and booleans";

/**
 * The first problems (at most `limit`) that keep `value` from being plain
 * data; empty when it is plain. Shared (acyclic) references are fine.
 */
export function plainDataIssues(value: unknown, limit = 10): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const ancestors = new Set<object>();
  const visit = (v: unknown, path: PropertyKey[]): void => {
    if (issues.length >= limit) return;
    const at = formatPath(path);
    const report = (message: string): void => {
      issues.push({ path: at, message, hint: HINT });
    };
    switch (typeof v) {
      case "string":
      case "boolean":
      case "undefined":
        return;
      case "number":
        if (!Number.isFinite(v)) report(`${v} is not a finite number`);
        return;
      case "function":
        return report(`Found a function${v.name ? ` ("${v.name}")` : ""}`);
      case "symbol":
        return report(`Found a symbol (${v.description ?? ""})`);
      case "bigint":
        return report(`Found a bigint (${v}n); use a number`);
    }
    if (v === null) return;
    const object = v as object;
    if (ancestors.has(object)) return report("Found a cycle: this value contains itself");
    const proto = Object.getPrototypeOf(object);
    if (Array.isArray(object)) {
      if (proto !== Array.prototype) return report("Found an array subclass");
    } else if (proto !== Object.prototype && proto !== null) {
      const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? "unknown";
      return report(`Found an instance of class ${name}`);
    }
    if (Object.getOwnPropertySymbols(object).length > 0) {
      return report("Found an object with symbol keys");
    }
    ancestors.add(object);
    for (const [key, child] of Object.entries(object)) {
      visit(child, [...path, Array.isArray(object) ? Number(key) : key]);
    }
    ancestors.delete(object);
  };
  visit(value, []);
  return issues;
}
