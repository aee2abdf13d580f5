/**
 * Link references as manifests write them: `"eth0"` (the namespace the
 * reference is written in) or `"root/eth0"` (another namespace). Neither a
 * namespace name nor a link name may contain `/`, so one `/` at most.
 *
 * @module
 */
import type { LinkRef } from "../model/state.ts";

/**
 * Resolves a reference written in namespace `from`, or returns `undefined`
 * when it is malformed (more than one `/`, or an empty part).
 *
 * @example
 * ```ts
 * import { resolveReference } from "./reference.ts";
 * resolveReference("root/eth0", "ns1"); // { namespace: "root", name: "eth0" }
 * resolveReference("veth1", "ns1"); // { namespace: "ns1", name: "veth1" }
 * ```
 */
export function resolveReference(reference: string, from: string): LinkRef | undefined {
  const parts = reference.split("/");
  if (parts.some((part) => part === "")) return undefined;
  if (parts.length === 1) return { namespace: from, name: reference };
  if (parts.length === 2) return { namespace: parts[0]!, name: parts[1]! };
  return undefined;
}

/** A reference as shown in messages: `"root/eth0"`. */
export function formatReference(ref: LinkRef): string {
  return `${ref.namespace}/${ref.name}`;
}
