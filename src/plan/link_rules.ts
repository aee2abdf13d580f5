/**
 * Per-kind planner rules: which attributes identify a link's wiring (a change
 * forces replacement) and which the kernel changes in place. The registry is
 * keyed by kind, so a new kind without rules is a type error.
 *
 * @module
 */
import type { Link, LinkKind, LinkRef } from "../model/state.ts";
import type { Attributes } from "./plan.ts";

interface KindRules {
  /** Attribute paths that differ and cannot be changed in place. */
  forcesReplacement(desired: Link, observed: Link): string[];
  /** Kind-specific display attributes. */
  attributes(link: Link): Attributes;
}

export function refText(ref: LinkRef): string {
  return `${ref.namespace}/${ref.name}`;
}

function sameRef(a: LinkRef | undefined, b: LinkRef | undefined): boolean {
  return a?.namespace === b?.namespace && a?.name === b?.name;
}

const noRules: KindRules = { forcesReplacement: () => [], attributes: () => ({}) };

export const KIND_RULES: Readonly<Record<LinkKind, KindRules>> = {
  existing: noRules,
  device: {
    forcesReplacement: () => [],
    attributes: (l) => (l.kind === "device" && l.type ? { type: l.type } : {}),
  },
  loopback: noRules,
  dummy: noRules,
  bridge: noRules,
  ipvlan: {
    // The kernel has no way to re-parent a slave: IFLA_LINK is only read at creation.
    forcesReplacement: (d, o) =>
      d.kind === "ipvlan" && o.kind === "ipvlan" && !sameRef(d.parent, o.parent) ? ["parent"] : [],
    attributes: (l) => (l.kind === "ipvlan" ? { parent: refText(l.parent) } : {}),
  },
  macvlan: {
    // macvlan_changelink refuses to switch into or out of passthru (EINVAL).
    forcesReplacement: (d, o) => {
      if (d.kind !== "macvlan" || o.kind !== "macvlan") return [];
      const paths = sameRef(d.parent, o.parent) ? [] : ["parent"];
      if (d.mode !== o.mode && (d.mode === "passthru" || o.mode === "passthru")) paths.push("mode");
      return paths;
    },
    attributes: (l) => (l.kind === "macvlan" ? { parent: refText(l.parent), mode: l.mode } : {}),
  },
  veth: {
    // A veth end cannot be given a new peer: the pair is created and deleted as one.
    forcesReplacement: (d, o) =>
      d.kind === "veth" && o.kind === "veth" && !sameRef(d.peer, o.peer) ? ["peer"] : [],
    attributes: (l) => (l.kind === "veth" ? { peer: refText(l.peer) } : {}),
  },
};

/** Kinds netform creates and deletes (everything but existing, device and loopback). */
export function isVirtual(
  kind: LinkKind,
): kind is "dummy" | "bridge" | "ipvlan" | "macvlan" | "veth" {
  return kind !== "existing" && kind !== "device" && kind !== "loopback";
}

/** Whether an observed link can be the desired one (`existing` matches any kind). */
export function kindMatches(desired: Link, observed: Link): boolean {
  return desired.kind === "existing" || desired.kind === observed.kind;
}

/** Display attributes of a link (without its addresses, which are resources of their own). */
export function linkAttributes(link: Link): Attributes {
  const a: Attributes = { kind: link.kind, ...KIND_RULES[link.kind].attributes(link) };
  if (link.ipvlan) {
    a["ipvlan.mode"] = link.ipvlan.mode;
    a["ipvlan.flags"] = link.ipvlan.flags;
  }
  if (link.up !== undefined) a.up = link.up;
  if (link.mtu !== undefined) a.mtu = link.mtu;
  if (link.master !== undefined) a.master = link.master;
  if (link.alias !== undefined) a.alias = link.alias;
  return a;
}
