/**
 * Copies a manifest's default export as plain data: objects, arrays, strings,
 * finite numbers, booleans and null, read through property descriptors only.
 *
 * The copy runs inside the sandbox, on a value the manifest controls, after
 * the manifest has had every chance to replace builtins. So it reads
 * descriptors instead of properties (no getter, `toJSON` or
 * `Symbol.toPrimitive` of the manifest runs), calls only builtins captured
 * before the manifest was imported (`_primordials.ts`), and builds the copy
 * and its issues from null-prototype objects and arrays, which nothing on
 * `Object.prototype` or `Array.prototype` can reach. The caller validates the
 * answer again after it leaves the sandbox (`sandbox_answer.ts`); this pass
 * is for precise messages.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import {
  ArrayIsArray,
  ArrayPrototype,
  isProxy,
  nullArray,
  nullObject,
  NumberCtor,
  NumberIsFinite,
  NumberIsInteger,
  ObjectHasOwn,
  ObjectPrototype,
  ReflectGetOwnPropertyDescriptor,
  ReflectGetPrototypeOf,
  ReflectOwnKeys,
  StringCtor,
  StringPrototypeSlice,
  SymbolPrototypeGetDescription,
} from "./_primordials.ts";
import { MAX_TEXT } from "./sandbox_reply.ts";

const HINT = "a manifest must export plain data: objects, arrays, strings, numbers and booleans";

/** Deeper than any topology (namespaces.ns.links.l.ipvlan.mode is 6 levels). */
export const MAX_DEPTH = 32;

/** The outcome of {@linkcode copyPlainData}. */
export type PlainDataResult =
  | { ok: true; value: unknown }
  | { ok: false; issues: ManifestIssue[] };

/**
 * A plain copy of `value`, or its first problems (at most `limit`). Shared
 * (acyclic) references are fine and become separate copies. Objects and
 * arrays of the copy, and the issues, have a null prototype.
 *
 * @example
 * ```ts
 * import { copyPlainData } from "./plain_data.ts";
 * copyPlainData({ name: "demo", namespaces: {} }); // { ok: true, value: { name: "demo", namespaces: {} } }
 * copyPlainData({ name: () => "demo" }); // { ok: false, issues: [{ path: "name", message: "Found a function", … }] }
 * ```
 */
export function copyPlainData(value: unknown, limit = 10): PlainDataResult {
  const issues = nullArray<ManifestIssue>();
  // The objects on the way from the root to the one being copied (at most MAX_DEPTH).
  const ancestors = nullArray<object>();
  const report = (path: string, message: string): undefined => {
    if (issues.length < limit) {
      const issue = nullObject<ManifestIssue>();
      issue.path = clip(path);
      issue.message = clip(message);
      issue.hint = HINT;
      issues[issues.length] = issue;
    }
    return undefined;
  };
  const visit = (v: unknown, path: string, depth: number): unknown => {
    if (issues.length >= limit) return undefined;
    switch (typeof v) {
      case "string":
      case "boolean":
      case "undefined":
        return v;
      case "number":
        return NumberIsFinite(v) ? v : report(path, `${v} is not a finite number`);
      case "function": {
        const name = isProxy(v) ? undefined : dataString(v, "name");
        return report(path, `Found a function${name ? ` ("${name}")` : ""}`);
      }
      case "symbol":
        return report(path, `Found a symbol (${SymbolPrototypeGetDescription(v) ?? ""})`);
      case "bigint":
        return report(path, `Found a bigint (${v}n); use a number`);
    }
    if (v === null) return null;
    const object = v as object;
    if (isProxy(object)) return report(path, "Found a Proxy");
    for (let i = 0; i < depth; i++) {
      if (ancestors[i] === object) return report(path, "Found a cycle: this value contains itself");
    }
    if (depth >= MAX_DEPTH) {
      return report(path, `Found data nested deeper than ${MAX_DEPTH} levels`);
    }
    const proto = ReflectGetPrototypeOf(object);
    const isArray = ArrayIsArray(object);
    if (isArray) {
      if (proto !== ArrayPrototype) return report(path, "Found an array subclass");
    } else if (proto !== ObjectPrototype && proto !== null) {
      return report(path, `Found an instance of class ${className(proto)}`);
    }
    const keys = ReflectOwnKeys(object);
    for (let i = 0; i < keys.length; i++) {
      if (typeof keys[i] === "symbol") {
        return report(path, "Found an object with symbol keys (such as Symbol.toPrimitive)");
      }
    }
    ancestors[depth] = object;
    // A null prototype, so an own "__proto__" key stays a key and nothing inherited shows.
    const out = (isArray ? nullArray() : nullObject()) as Record<string, unknown>;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (isArray && key === "length") continue;
      const index = isArray ? arrayIndex(key) : undefined;
      const at = index !== undefined ? `${path}[${index}]` : path === "" ? key : `${path}.${key}`;
      const descriptor = ReflectGetOwnPropertyDescriptor(object, key)!;
      if (!ObjectHasOwn(descriptor, "value")) {
        report(at, "Found a getter or setter");
        continue;
      }
      if (!descriptor.enumerable) continue;
      if (isArray && index === undefined) {
        report(at, "Found an array with named keys");
        continue;
      }
      out[key] = visit(descriptor.value, at, depth + 1);
    }
    ancestors.length = depth;
    return out;
  };
  const copy = visit(value, "", 0);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: copy };
}

/** The index an array key stands for, or `undefined` for a named key ("01", "-1", "x"). */
function arrayIndex(key: string): number | undefined {
  const n = NumberCtor(key);
  return NumberIsInteger(n) && n >= 0 && StringCtor(n) === key ? n : undefined;
}

/** An own data property of `object` that is a string, read without running any code of it. */
function dataString(object: object, key: string): string | undefined {
  const descriptor = ReflectGetOwnPropertyDescriptor(object, key);
  if (!descriptor || !ObjectHasOwn(descriptor, "value")) return undefined;
  return typeof descriptor.value === "string" ? clip(descriptor.value, 200) : undefined;
}

function className(proto: object): string {
  if (isProxy(proto)) return "unknown";
  const descriptor = ReflectGetOwnPropertyDescriptor(proto, "constructor");
  const ctor = descriptor && ObjectHasOwn(descriptor, "value") ? descriptor.value : undefined;
  const name = typeof ctor === "function" && !isProxy(ctor) ? dataString(ctor, "name") : undefined;
  return name || "unknown";
}

function clip(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${StringPrototypeSlice(text, 0, max - 1)}…` : text;
}
