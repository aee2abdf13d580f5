/**
 * Operations that take a host from one state back to another, whoever owns
 * the objects: the undo of a step is "from the state after it, back to the
 * state before it". Unlike the planner this knows no ownership and no
 * manifest; it is only ever given two states that differ by what netform
 * itself just did (one step, or one apply).
 *
 * One call is one pass. Some differences only show once the first pass has
 * run (a bridge lowers its MTU when a re-created port joins it, the kernel
 * adds a prefix route back with its address), so callers run passes until
 * nothing is left or a pass stops helping (see `undo.ts`).
 *
 * @module
 */
import { marksIPv4AddressInPlace } from "../model/kernel_release.ts";
import { KERNEL_PROTOCOL } from "../model/names.ts";
import type { LinkChanges, LinkSpec, Operation } from "../model/operations.ts";
import type { HostState, Link, LinkRef, Namespace, Route } from "../model/state.ts";
import { linkAddress, routeKey as identity } from "../plan/address.ts";
import { cascade, indexDependents, linkKey } from "../plan/cascade.ts";
import { FRESH_LOOPBACK } from "../plan/planner.ts";

/** A route's identity, with its device: the kernel keeps one prefix through two devices apart. */
function routeKey(route: Route): string {
  return `${identity(route)} ${route.dev ?? ""}`;
}

const CREATABLE = new Set(["dummy", "bridge", "ipvlan", "macvlan", "veth"]);

/** Same link, not just the same name: kind and wiring equal (a replacement is not the same link). */
function sameIdentity(a: Link, b: Link): boolean {
  if (a.kind !== b.kind) return false;
  if (
    (a.kind === "ipvlan" || a.kind === "macvlan") && (b.kind === "ipvlan" || b.kind === "macvlan")
  ) {
    return linkKey(a.parent) === linkKey(b.parent);
  }
  if (a.kind === "veth" && b.kind === "veth") return linkKey(a.peer) === linkKey(b.peer);
  return true;
}

/** One pass of operations that move `now` towards `target`. Empty when they are equal. */
export function restoreOperations(target: HostState, now: HostState): Operation[] {
  const deletes: Operation[] = [];
  const early: Operation[] = [];
  const creates: Operation[] = [];
  const late: Operation[] = [];
  const adds: Operation[] = [];
  const inPlace = marksIPv4AddressInPlace(now.kernelRelease);

  // Namespaces that are gone are created again (empty, with a fresh lo);
  // namespaces that are new are deleted with everything in them.
  const view: Record<string, Namespace> = {};
  for (const [name, ns] of Object.entries(now.namespaces)) {
    if (target.namespaces[name]) view[name] = ns;
    else deletes.push({ op: "namespace.delete", namespace: name });
  }
  const namespaceCreates: Operation[] = [];
  for (const name of Object.keys(target.namespaces).sort()) {
    if (view[name]) continue;
    namespaceCreates.push({ op: "namespace.create", namespace: name });
    view[name] = { links: { lo: { ...FRESH_LOOPBACK, addresses: [] } }, routes: [] };
  }
  const current: HostState = { namespaces: view };

  // Links that are not (the same link) in the target go, roots only.
  const extra: LinkRef[] = [];
  for (const [namespace, ns] of Object.entries(current.namespaces)) {
    for (const [name, link] of Object.entries(ns.links).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const want = target.namespaces[namespace]!.links[name];
      if (!want || !sameIdentity(want, link)) extra.push({ namespace, name });
    }
  }
  const removal = cascade(current, indexDependents(current), { namespaces: [], links: extra });
  const linkDeletes: Operation[] = [];
  for (const { ref, cause } of removal.links.values()) {
    // Only roots: a veth's peer, or a slave whose lower device also goes, goes with it. What a
    // cascade takes that the target still has is created again below.
    if (cause !== linkAddress(ref.namespace, ref.name)) continue;
    linkDeletes.push({ op: "link.delete", namespace: ref.namespace, name: ref.name });
  }
  const gone = (namespace: string, name: string) => removal.links.has(`${namespace}/${name}`);

  // Routes and addresses that are not in the target go first (the kernel's
  // own routes go with their addresses and links).
  for (const [namespace, ns] of Object.entries(current.namespaces)) {
    const wanted = new Map(target.namespaces[namespace]!.routes.map((r) => [routeKey(r), r]));
    for (const route of ns.routes) {
      if (route.dev !== undefined && gone(namespace, route.dev)) continue;
      if (route.protocol === KERNEL_PROTOCOL) continue;
      if (!wanted.has(routeKey(route))) deletes.push({ op: "route.delete", namespace, route });
    }
    for (const [name, link] of Object.entries(ns.links)) {
      if (gone(namespace, name)) continue;
      const want = target.namespaces[namespace]!.links[name]!;
      const cidrs = new Set(want.addresses.map((a) => a.cidr));
      for (const a of link.addresses) {
        if (!cidrs.has(a.cidr)) {
          deletes.push({ op: "address.delete", namespace, link: name, cidr: a.cidr });
        }
      }
    }
  }
  deletes.push(...linkDeletes);

  // Links in the target that are missing are created, dependencies first.
  const missing: LinkRef[] = [];
  for (const [namespace, ns] of Object.entries(target.namespaces)) {
    for (const name of Object.keys(ns.links).sort()) {
      const have = current.namespaces[namespace]!.links[name];
      if (!have || gone(namespace, name)) missing.push({ namespace, name });
    }
  }
  const missingKeys = new Set(missing.map(linkKey));
  const createdLater = (namespace: string, name: string | undefined) =>
    name !== undefined && missingKeys.has(`${namespace}/${name}`);

  // Links present in both: attributes back to the target's.
  for (const [namespace, ns] of Object.entries(current.namespaces)) {
    for (const [name, link] of Object.entries(ns.links)) {
      if (gone(namespace, name)) continue;
      const want = target.namespaces[namespace]!.links[name]!;
      const changes: LinkChanges = {};
      if (want.up !== undefined && want.up !== link.up) changes.up = want.up;
      if (want.mtu !== undefined && want.mtu !== link.mtu) changes.mtu = want.mtu;
      if (want.alias !== link.alias) changes.alias = want.alias ?? null;
      if (want.kind === "macvlan" && link.kind === "macvlan" && want.mode !== link.mode) {
        changes.macvlanMode = want.mode;
      }
      let masterChange: LinkChanges | undefined;
      if (want.master !== link.master) {
        if (createdLater(namespace, want.master)) masterChange = { master: want.master! };
        else changes.master = want.master ?? null;
      }
      if (Object.keys(changes).length > 0) {
        early.push({ op: "link.update", namespace, name, changes });
      }
      if (masterChange) late.push({ op: "link.update", namespace, name, changes: masterChange });
      // ipvlan port settings: set through any slave that stays.
      if (want.ipvlan && link.ipvlan && !samePort(want.ipvlan, link.ipvlan)) {
        const slave = slaveOf(current, { namespace, name }, gone);
        if (slave) {
          early.push({
            op: "link.update",
            namespace: slave.namespace,
            name: slave.name,
            changes: { ipvlan: want.ipvlan },
          });
        }
      }
    }
  }

  const done = new Set<string>();
  const visiting = new Set<string>();
  const create = (ref: LinkRef) => {
    const key = linkKey(ref);
    if (done.has(key) || visiting.has(key)) return;
    visiting.add(key);
    const link = target.namespaces[ref.namespace]!.links[ref.name]!;
    const deps: LinkRef[] = [];
    if (link.kind === "ipvlan" || link.kind === "macvlan") deps.push(link.parent);
    if (link.master !== undefined) deps.push({ namespace: ref.namespace, name: link.master });
    if (link.kind === "veth") {
      const peer = target.namespaces[link.peer.namespace]?.links[link.peer.name];
      if (peer?.master !== undefined) {
        deps.push({ namespace: link.peer.namespace, name: peer.master });
      }
    }
    for (const d of deps) if (missingKeys.has(linkKey(d))) create(d);
    done.add(key);
    if (!CREATABLE.has(link.kind)) return; // cannot be made again: left for the caller to report
    if (link.kind === "veth") done.add(linkKey(link.peer));
    creates.push({ op: "link.create", link: specOf(target, ref, link) });
  };
  for (const ref of missing) create(ref);

  // Addresses and routes of the target that are missing or differ.
  for (const [namespace, ns] of Object.entries(target.namespaces)) {
    for (const [name, want] of Object.entries(ns.links)) {
      const have = gone(namespace, name) ? undefined : current.namespaces[namespace]!.links[name];
      const existing = new Map((have?.addresses ?? []).map((a) => [a.cidr, a]));
      // The first address of a subnet becomes its primary, the rest its secondaries: add the
      // primaries first, so each comes back as what it was.
      const primariesFirst = [...want.addresses].sort((a, b) =>
        Number(a.secondary ?? false) - Number(b.secondary ?? false)
      );
      const remarks: Operation[] = [];
      for (const a of primariesFirst) {
        const now = existing.get(a.cidr);
        if (now && now.protocol === a.protocol) continue;
        // A kernel that cannot change an IPv4 address's protocol in place gets it deleted and
        // added again; secondaries are deleted before their primary, which would take them.
        const recreate = now !== undefined && !a.cidr.includes(":") && !inPlace;
        if (recreate) {
          remarks.unshift({ op: "address.delete", namespace, link: name, cidr: a.cidr });
        }
        // A loopback's 127.0.0.1/8 and ::1 come back when it goes up.
        if (
          !now && want.kind === "loopback" && isLoopbackDefault(a.cidr) && want.up && !have?.up
        ) continue;
        adds.push({
          op: "address.add",
          namespace,
          link: name,
          cidr: a.cidr,
          protocol: a.protocol,
          ...(now && !recreate ? { replace: true } : {}),
        });
      }
      deletes.push(...remarks);
    }
    const have = new Map(
      current.namespaces[namespace]!.routes
        .filter((r) => r.dev === undefined || !gone(namespace, r.dev))
        .map((r) => [routeKey(r), r]),
    );
    for (const want of ns.routes) {
      const now = have.get(routeKey(want));
      if (now && JSON.stringify(now) === JSON.stringify(want)) continue;
      // The kernel's own routes come back with their addresses; added only when still missing.
      if (!now && want.protocol === KERNEL_PROTOCOL && comesWithAddress(target, namespace, want)) {
        const pending = adds.some((o) =>
          o.op === "address.add" && o.namespace === namespace && o.link === want.dev
        ) || creates.some((o) =>
          o.op === "link.create"
        ) ||
          early.some((o) => o.op === "link.update" && o.changes.up === true);
        if (pending) continue;
      }
      adds.push({ op: "route.add", namespace, route: want, ...(now ? { replace: true } : {}) });
    }
  }

  // A gateway resolves through the routes of its own table first (fib_check_nh): direct routes
  // before routes through a gateway.
  const direct = (op: Operation) => op.op !== "route.add" || op.route.via === undefined;
  const ordered = [...adds.filter(direct), ...adds.filter((op) => !direct(op))];
  return [...deletes, ...namespaceCreates, ...early, ...creates, ...late, ...ordered];
}

function isLoopbackDefault(cidr: string): boolean {
  return cidr === "127.0.0.1/8" || cidr === "::1/128";
}

/** A kernel route through a link that has addresses: one the kernel derives from them. */
function comesWithAddress(
  target: HostState,
  namespace: string,
  route: { dev?: string | undefined },
): boolean {
  if (route.dev === undefined) return false;
  return (target.namespaces[namespace]?.links[route.dev]?.addresses.length ?? 0) > 0;
}

function samePort(a: { mode: string; flags: string }, b: { mode: string; flags: string }) {
  return a.mode === b.mode && a.flags === b.flags;
}

function slaveOf(
  state: HostState,
  master: LinkRef,
  gone: (namespace: string, name: string) => boolean,
): LinkRef | undefined {
  for (
    const [namespace, ns] of Object.entries(state.namespaces).sort(([a], [b]) => (a < b ? -1 : 1))
  ) {
    for (const [name, link] of Object.entries(ns.links).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (
        link.kind === "ipvlan" && linkKey(link.parent) === linkKey(master) && !gone(namespace, name)
      ) {
        return { namespace, name };
      }
    }
  }
  return undefined;
}

/** How to create `link` again as the target has it. */
function specOf(target: HostState, ref: LinkRef, link: Link): LinkSpec {
  const spec: LinkSpec = {
    namespace: ref.namespace,
    name: ref.name,
    kind: link.kind as LinkSpec["kind"],
    up: link.up ?? false,
  };
  if (link.mtu !== undefined) spec.mtu = link.mtu;
  if (link.alias !== undefined) spec.alias = link.alias;
  if (link.master !== undefined) spec.master = link.master;
  if (link.kind === "ipvlan" || link.kind === "macvlan") spec.parent = link.parent;
  if (link.kind === "ipvlan") {
    const parent = target.namespaces[link.parent.namespace]?.links[link.parent.name];
    spec.ipvlan = parent?.ipvlan ?? { mode: "l3", flags: "bridge" };
  }
  if (link.kind === "macvlan") spec.macvlanMode = link.mode;
  if (link.kind === "veth") {
    const peer = target.namespaces[link.peer.namespace]?.links[link.peer.name];
    if (peer) {
      spec.peer = { namespace: link.peer.namespace, name: link.peer.name, up: peer.up ?? false };
      if (peer.mtu !== undefined) spec.peer.mtu = peer.mtu;
      if (peer.alias !== undefined) spec.peer.alias = peer.alias;
      if (peer.master !== undefined) spec.peer.master = peer.master;
    }
  }
  return spec;
}
