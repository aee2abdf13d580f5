/**
 * Manifest paths as users read them. Kept apart from the schema code so the
 * sandboxed evaluator can use it without loading zod.
 *
 * @module
 */

/**
 * `namespaces.ns1.links.ipvl1.mode`, `namespaces.ns1.routes[0].via`; the
 * empty path is the manifest's default export itself.
 *
 * @example
 * ```ts
 * import { formatPath } from "./format_path.ts";
 * formatPath(["namespaces", "ns1", "routes", 0, "via"]); // "namespaces.ns1.routes[0].via"
 * ```
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}
