/**
 * Copies a manifest's default export as plain data: objects, arrays, strings,
 * finite numbers, booleans and null, read through property descriptors only.
 *
 * The copy runs inside the sandbox, on a value the manifest controls. Reading
 * descriptors instead of properties means no getter, `toJSON` or
 * `Symbol.toPrimitive` of the manifest runs while it is serialized, and the
 * value handed out is the one that was checked. (The caller validates the copy
 * again after it leaves the sandbox; this pass is for precise messages.)
 *
 * @module
 */
import { types } from "node:util";
import type { ManifestIssue } from "../errors.ts";
import { formatPath } from "./format_path.ts";

const HINT = "a manifest must export plain data: objects, arrays, strings, numbers and booleans";

/** Deeper than any topology (namespaces.ns.links.l.ipvlan.mode is 6 levels). */
export const MAX_DEPTH = 32;

/** The outcome of {@linkcode copyPlainData}. */
export type PlainDataResult =
  | { ok: true; value: unknown }
  | { ok: false; issues: ManifestIssue[] };

/**
 * A plain copy of `value`, or its first problems (at most `limit`). Shared
 * (acyclic) references are fine and become separate copies.
 *
 * @example
 * ```ts
 * import { copyPlainData } from "./plain_data.ts";
 * copyPlainData({ name: "demo", namespaces: {} }); // { ok: true, value: { name: "demo", namespaces: {} } }
 * copyPlainData({ name: () => "demo" }); // { ok: false, issues: [{ path: "name", message: "Found a function", … }] }
 * ```
 */
export function copyPlainData(value: unknown, limit = 10): PlainDataResult {
  const issues: ManifestIssue[] = [];
  const ancestors = new Set<object>();
  const visit = (v: unknown, path: PropertyKey[]): unknown => {
    if (issues.length >= limit) return undefined;
    const report = (message: string): undefined => {
      issues.push({ path: formatPath(path), message, hint: HINT });
      return undefined;
    };
    switch (typeof v) {
      case "string":
      case "boolean":
      case "undefined":
        return v;
      case "number":
        return Number.isFinite(v) ? v : report(`${v} is not a finite number`);
      case "function":
        return report(`Found a function${v.name ? ` ("${v.name}")` : ""}`);
      case "symbol":
        return report(`Found a symbol (${v.description ?? ""})`);
      case "bigint":
        return report(`Found a bigint (${v}n); use a number`);
    }
    if (v === null) return null;
    const object = v as object;
    if (types.isProxy(object)) return report("Found a Proxy");
    if (ancestors.has(object)) return report("Found a cycle: this value contains itself");
    if (path.length >= MAX_DEPTH) {
      return report(`Found data nested deeper than ${MAX_DEPTH} levels`);
    }
    const proto = Object.getPrototypeOf(object);
    const isArray = Array.isArray(object);
    if (isArray) {
      if (proto !== Array.prototype) return report("Found an array subclass");
    } else if (proto !== Object.prototype && proto !== null) {
      return report(`Found an instance of class ${className(proto)}`);
    }
    if (Object.getOwnPropertySymbols(object).length > 0) {
      return report("Found an object with symbol keys (such as Symbol.toPrimitive)");
    }
    ancestors.add(object);
    // A null prototype and defineProperty, so an own "__proto__" key stays a key.
    const out: object = isArray ? [] : Object.create(null);
    for (const key of Object.getOwnPropertyNames(object)) {
      if (isArray && key === "length") continue;
      const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
      const at = [...path, isArray ? Number(key) : key];
      if (!("value" in descriptor)) {
        issues.push({ path: formatPath(at), message: "Found a getter or setter", hint: HINT });
        continue;
      }
      if (!descriptor.enumerable) continue;
      if (isArray && !/^(0|[1-9]\d*)$/.test(key)) {
        issues.push({
          path: formatPath(at),
          message: "Found an array with named keys",
          hint: HINT,
        });
        continue;
      }
      Object.defineProperty(out, key, {
        value: visit(descriptor.value, at),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    ancestors.delete(object);
    return out;
  };
  const copy = visit(value, []);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: copy };
}

function className(proto: object): string {
  const descriptor = Object.getOwnPropertyDescriptor(proto, "constructor");
  const ctor = descriptor && "value" in descriptor ? descriptor.value : undefined;
  const name = typeof ctor === "function"
    ? Object.getOwnPropertyDescriptor(ctor, "name")
    : undefined;
  return typeof name?.value === "string" && name.value !== "" ? name.value : "unknown";
}
