/**
 * A host state as a flat set of objects, each under its plan address
 * (`namespace.ns1`, `link.ns1.v1`, `address.ns1.v1["10.0.0.1/24"]`,
 * `route.ns1.main["default"]`) with a canonical text of its attributes, so two
 * states can be compared object by object and a difference can be named.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { HostState } from "../model/state.ts";
import { stateEntries, type StateObject } from "../plan/state_objects.ts";

/** Canonical JSON of an object's own attributes (a link's without its addresses). */
export function objectText(object: StateObject): string {
  switch (object.type) {
    case "namespace":
      return "{}";
    case "link": {
      const { addresses: _, ...attributes } = object.link;
      return canonical(attributes);
    }
    case "address":
      return canonical(object.address);
    case "route":
      return canonical(object.route);
  }
}

/** Address → canonical JSON of the object's own attributes (addresses apart from links). */
export function stateObjects(state: HostState): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, object] of stateEntries(state)) out.set(key, objectText(object));
  return out;
}

/** Address → short digest (16 hex digits) of the object, for a saved plan's basis. */
export function objectDigests(state: HostState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, text] of [...stateObjects(state)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[key] = digest(text).slice(0, 16);
  }
  return out;
}

/** One digest over a set of object digests. */
export function fingerprintOf(digests: Record<string, string>): string {
  const lines = Object.keys(digests).sort().map((k) => `${k} ${digests[k]}`);
  return "sha256:" + digest(lines.join("\n"));
}

export interface ObjectDifferences {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What is in `now` and not `before`, the reverse, and what differs; each sorted. */
export function diffDigests(
  before: Record<string, string>,
  now: Record<string, string>,
): ObjectDifferences {
  const added = Object.keys(now).filter((k) => !(k in before)).sort();
  const removed = Object.keys(before).filter((k) => !(k in now)).sort();
  const changed = Object.keys(now).filter((k) => k in before && before[k] !== now[k]).sort();
  return { added, removed, changed };
}

export function isSame(d: ObjectDifferences): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

/** `added link.ns1.v1; removed route.ns1.main["default"]; changed link.ns1.lo` */
export function describeDifferences(d: ObjectDifferences, limit = 12): string {
  const parts = [
    ...d.added.map((a) => `added ${a}`),
    ...d.removed.map((a) => `removed ${a}`),
    ...d.changed.map((a) => `changed ${a}`),
  ];
  const more = parts.length > limit ? `; and ${parts.length - limit} more` : "";
  return parts.slice(0, limit).join("; ") + more;
}

/** Differences between two states, object by object. */
export function diffStates(before: HostState, now: HostState): ObjectDifferences {
  return diffDigests(objectDigests(before), objectDigests(now));
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record).filter((k) => record[k] !== undefined).sort().map((k) => [
      k,
      sortKeys(record[k]),
    ]),
  );
}
