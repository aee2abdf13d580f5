/**
 * Lookups across a schema-valid manifest input, shared by the cross-reference
 * checks and by normalization so both agree on what a reference means.
 *
 * @module
 */
import type { LinkRef } from "../model/state.ts";
import { resolveReference } from "./reference.ts";
import type { LinkInput, NamespaceInput, TopologyInput } from "./topology.ts";

/** A declared link with where it is declared. */
export interface DeclaredLink {
  namespace: string;
  name: string;
  link: LinkInput;
  /** Position in declaration order across the whole manifest. */
  order: number;
}

/** Every declared link, namespace by namespace, in declaration order. */
export function declaredLinks(input: TopologyInput): DeclaredLink[] {
  return Object.entries(input.namespaces).flatMap(([namespace, ns]) =>
    Object.entries(linksOf(ns)).map(([name, link]) => ({ namespace, name, link }))
  ).map((declared, order) => ({ ...declared, order }));
}

/** The links of a namespace (none when `links` is left out). */
export function linksOf(ns: NamespaceInput | undefined): Readonly<Record<string, LinkInput>> {
  return ns?.links ?? {};
}

/** The declared link a resolved reference names, if any. */
export function findLink(input: TopologyInput, ref: LinkRef): LinkInput | undefined {
  const links = linksOf(input.namespaces[ref.namespace]);
  return Object.hasOwn(links, ref.name) ? links[ref.name] : undefined;
}

/** `"ns/name"`: a map key for a link. */
export function linkKey(ref: LinkRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/** The parent an ipvlan or macvlan link names, resolved (not checked to exist). */
export function parentOf(declared: DeclaredLink): LinkRef | undefined {
  const { link, namespace } = declared;
  if (link.kind !== "ipvlan" && link.kind !== "macvlan") return undefined;
  return resolveReference(link.parent, namespace);
}

/**
 * The slaves of each parent of links of `kind`, keyed by {@linkcode linkKey}
 * of the parent. The kernel keeps one ipvlan (or macvlan) port per parent.
 */
export function slavesByParent(
  input: TopologyInput,
  kind: "ipvlan" | "macvlan",
): Map<string, DeclaredLink[]> {
  const out = new Map<string, DeclaredLink[]>();
  for (const declared of declaredLinks(input)) {
    if (declared.link.kind !== kind) continue;
    const parent = parentOf(declared);
    if (!parent) continue;
    const key = linkKey(parent);
    const slaves = out.get(key);
    if (slaves === undefined) out.set(key, [declared]);
    else slaves.push(declared);
  }
  return out;
}
