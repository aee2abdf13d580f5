/**
 * The planner: a pure function from desired and observed state to a plan.
 * No I/O, no driver imports; the same input always gives the same plan.
 *
 * 1. Decide the removals: owned namespaces and links that are not in the
 *    topology, and owned links whose wiring changed (replacement).
 * 2. Close them over the kernel's cascades; keep only the roots as steps.
 * 3. Diff the desired state against what is left, creating fresh namespaces.
 * 4. Order the steps.
 *
 * @module
 */
import { PlanError } from "../errors.ts";
import { ownerAlias, ROOT_NAMESPACE } from "../model/names.ts";
import type { LinkChanges, LinkSpec } from "../model/operations.ts";
import type { HostState, IpvlanPort, Link, LinkRef, Topology } from "../model/state.ts";
import { linkAddress, namespaceAddress } from "./address.ts";
import { cascade, indexDependents, linkKey, type Removal } from "./cascade.ts";
import { isVirtual, KIND_RULES, kindMatches, linkAttributes, refText } from "./link_rules.ts";
import { isForeign, linkOwner, namespaceOwner } from "./ownership.ts";
import { stateEntries } from "./state_objects.ts";
import { dependencyDepths, orderSteps, type PendingStep } from "./order.ts";
import { type Change, type Plan, PLAN_FORMAT_VERSION, summarize } from "./plan.ts";
import { diffAddresses, diffRoutes } from "./diff_addresses_routes.ts";
import { withoutRemoved } from "./remove.ts";

/** `lo` as the kernel creates it in a new namespace: down, no addresses. */
export const FRESH_LOOPBACK: Link = { kind: "loopback", up: false, mtu: 65536, addresses: [] };

/** Everything the diff functions share while building one plan. */
export interface PlanContext {
  topology: string;
  desired: Topology;
  observed: HostState;
  /** Observed state with the removals applied and fresh namespaces added. */
  remaining: HostState;
  removal: Removal;
  /** See {@linkcode PlanOptions.allowCascadeForeign}. */
  allowCascadeForeign: boolean;
  changes: Change[];
  steps: PendingStep[];
  /** Depth of each link key in the creation graph. */
  depthOf(namespace: string, name: string): number;
}

export interface PlanOptions {
  /** `destroy` plans remove everything the topology owns. Default: `apply`. */
  kind?: "apply" | "destroy";
  /**
   * Adopt namespaces and links that hold objects the topology does not declare (named in the
   * import's reason). Default: false, such a plan is refused naming them.
   *
   * The planner plans cascades whoever owns what they reach; what they would do to foreign
   * objects is found and refused (or, with this option given to `preparePlan` and
   * `applyPlan`, listed) by running the steps on the model of the kernel
   * (`apply/foreign_side_effects.ts`).
   */
  allowCascadeForeign?: boolean;
}

/** Plans the changes that take `observed` to `desired`. */
export function plan(desired: Topology, observed: HostState, options: PlanOptions = {}): Plan {
  const topology = desired.name;
  const dependents = indexDependents(observed);
  const candidates = findRemovals(desired, observed);
  const removal = cascade(observed, dependents, candidates);
  const allowCascadeForeign = options.allowCascadeForeign ?? false;

  const remaining = withoutRemoved(observed, removal);
  for (const namespace of Object.keys(desired.namespaces)) {
    remaining.namespaces[namespace] ??= { links: { lo: { ...FRESH_LOOPBACK } }, routes: [] };
  }

  const depths = linkDepths(desired);
  const ctx: PlanContext = {
    topology,
    desired,
    observed,
    remaining,
    removal,
    allowCascadeForeign,
    changes: [],
    steps: [],
    depthOf: (namespace, name) => depths.get(`${namespace}/${name}`) ?? 0,
  };

  diffNamespaces(ctx);
  diffLinks(ctx, candidates.replaced);
  diffIpvlanPorts(ctx);
  pinBridgeMtus(ctx);
  diffAddresses(ctx);
  diffRoutes(ctx);

  const changes = ctx.changes.sort(compareChanges);
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    kind: options.kind ?? "apply",
    topology,
    changes,
    steps: orderSteps(ctx.steps),
    summary: summarize(changes),
    desired,
  };
}

/** Plans the removal of everything `topology` owns. */
export function planDestroy(
  topology: string,
  observed: HostState,
  options: Omit<PlanOptions, "kind"> = {},
): Plan {
  const empty: Topology = {
    name: topology,
    namespaces: { [ROOT_NAMESPACE]: { links: {}, routes: [] } },
  };
  return plan(empty, observed, { ...options, kind: "destroy" });
}

const TYPE_ORDER = { namespace: 0, link: 1, address: 2, route: 3 } as const;

/** Display order: root first, then namespaces by name; within one, namespace, links, addresses, routes. */
function compareChanges(a: Change, b: Change): number {
  const ns = (n: string) => (n === ROOT_NAMESPACE ? "" : n);
  if (a.namespace !== b.namespace) return ns(a.namespace) < ns(b.namespace) ? -1 : 1;
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
    (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);
}

interface Candidates {
  namespaces: string[];
  links: LinkRef[];
  /** Link key → attribute paths that force its replacement. */
  replaced: Map<string, string[]>;
}

/** Owned namespaces and links that must go, in the order their cascades should be tried. */
function findRemovals(desired: Topology, observed: HostState): Candidates {
  const topology = desired.name;
  const namespaces: string[] = [];
  const links: LinkRef[] = [];
  const replaced = new Map<string, string[]>();
  for (const namespace of Object.keys(observed.namespaces).sort()) {
    const owner = namespaceOwner(observed, namespace, topology);
    const wanted = desired.namespaces[namespace];
    if (!wanted) {
      if (owner.kind === "this") namespaces.push(namespace);
      continue;
    }
    if (owner.kind === "other") {
      throw new PlanError(
        `Cannot manage namespace "${namespace}": it is owned by topology "${owner.topology}"`,
        [namespaceAddress(namespace)],
      );
    }
    const ns = observed.namespaces[namespace]!;
    for (const name of Object.keys(ns.links).sort()) {
      const have = ns.links[name]!;
      const want = wanted.links[name];
      const linkOwnerNow = linkOwner(have, topology);
      if (name === "lo") continue;
      if (!want) {
        if (linkOwnerNow.kind === "this") links.push({ namespace, name });
        continue;
      }
      if (linkOwnerNow.kind === "other") {
        throw new PlanError(
          `Cannot manage link "${name}" in namespace "${namespace}": it is owned by topology "${linkOwnerNow.topology}"`,
          [linkAddress(namespace, name)],
        );
      }
      const forced = kindMatches(want, have)
        ? KIND_RULES[have.kind].forcesReplacement(want, have)
        : ["kind"];
      if (forced.length === 0) continue;
      if (linkOwnerNow.kind !== "this") {
        throw new PlanError(
          `Cannot create link "${name}" in namespace "${namespace}": a ${
            describe(have)
          } of that name exists ` +
            `and this topology does not own it; rename one of them or delete it`,
          [linkAddress(namespace, name)],
        );
      }
      replaced.set(`${namespace}/${name}`, forced);
      links.push({ namespace, name });
    }
  }
  // Masters before their slaves, so a slave that goes with its master is not a root of its own.
  const isSlave = (ref: LinkRef) => {
    const l = observed.namespaces[ref.namespace]?.links[ref.name];
    return l?.kind === "ipvlan" || l?.kind === "macvlan";
  };
  links.sort((a, b) => Number(isSlave(a)) - Number(isSlave(b)));
  return { namespaces, links, replaced };
}

function describe(link: Link): string {
  const attrs = KIND_RULES[link.kind].attributes(link);
  const detail = Object.entries(attrs).map(([k, v]) => `${k} ${v}`).join(", ");
  return detail ? `${link.kind} link (${detail})` : `${link.kind} link`;
}

/** Creation depth of every desired link: parents, bridges and peers' namespaces first. */
function linkDepths(desired: Topology): Map<string, number> {
  const keys: string[] = [];
  for (const [namespace, ns] of Object.entries(desired.namespaces)) {
    for (const name of Object.keys(ns.links)) keys.push(`${namespace}/${name}`);
  }
  return dependencyDepths(keys, (key) => {
    const slash = key.indexOf("/");
    const namespace = key.slice(0, slash);
    const link = desired.namespaces[namespace]?.links[key.slice(slash + 1)];
    if (!link) return [];
    const deps: string[] = [];
    if (link.kind === "ipvlan" || link.kind === "macvlan") deps.push(linkKey(link.parent));
    if (link.master !== undefined) deps.push(`${namespace}/${link.master}`);
    // A veth pair is one request that also enslaves the peer end: its bridge comes first too.
    if (link.kind === "veth") {
      const peer = desired.namespaces[link.peer.namespace]?.links[link.peer.name];
      if (peer?.master !== undefined) deps.push(`${link.peer.namespace}/${peer.master}`);
    }
    return deps.filter((d) => d !== key);
  });
}

function diffNamespaces(ctx: PlanContext): void {
  const { desired, observed, topology } = ctx;
  for (const namespace of ctx.removal.namespaces) {
    const address = namespaceAddress(namespace);
    ctx.changes.push({
      address,
      type: "namespace",
      namespace,
      action: "delete",
      before: { name: namespace },
      after: null,
      replacePaths: [],
      reason: "it is not in the topology",
    });
    ctx.steps.push({ change: address, operation: { op: "namespace.delete", namespace }, depth: 0 });
  }
  for (const namespace of Object.keys(desired.namespaces)) {
    if (namespace === ROOT_NAMESPACE) continue;
    const address = namespaceAddress(namespace);
    if (!observed.namespaces[namespace]) {
      ctx.changes.push({
        address,
        type: "namespace",
        namespace,
        action: "create",
        before: null,
        after: { name: namespace },
        replacePaths: [],
        reason: "it is in the topology",
      });
      ctx.steps.push({
        change: address,
        operation: { op: "namespace.create", namespace },
        depth: 0,
      });
    } else if (namespaceOwner(observed, namespace, topology).kind === "none") {
      // Adopted by marking its lo, which the link diff of `lo` does.
      const foreign = adoptionAllowed(ctx, `namespace "${namespace}"`, namespace);
      ctx.changes.push({
        address,
        type: "namespace",
        namespace,
        action: "import",
        before: { name: namespace },
        after: { name: namespace },
        replacePaths: [],
        reason: "it exists and is not owned; its lo will carry the ownership alias" +
          (foreign.length > 0 ? `; it also holds ${foreign.join(", ")}, not declared` : ""),
      });
    }
  }
}

function diffLinks(ctx: PlanContext, replaced: Map<string, string[]>): void {
  const { desired, observed, remaining, removal, topology } = ctx;
  // Removed links: deleted (with or without a step of their own) or replaced.
  for (const { ref, cause } of removal.links.values()) {
    const address = linkAddress(ref.namespace, ref.name);
    const before = observed.namespaces[ref.namespace]!.links[ref.name]!;
    const want = desired.namespaces[ref.namespace]?.links[ref.name];
    const isRoot = cause === address;
    if (isRoot && !removal.namespaces.has(ref.namespace)) {
      ctx.steps.push({
        change: address,
        operation: { op: "link.delete", namespace: ref.namespace, name: ref.name },
        depth: ctx.depthOf(ref.namespace, ref.name),
      });
    }
    if (want) continue; // its create side is recorded below as a replacement
    ctx.changes.push({
      address,
      type: "link",
      namespace: ref.namespace,
      action: "delete",
      before: linkAttributes(before),
      after: null,
      replacePaths: [],
      reason: "it is not in the topology",
      ...(isRoot ? {} : { cascadeOf: cause }),
    });
  }

  const createdWithPeer = new Set<string>();
  for (const namespace of Object.keys(desired.namespaces).sort()) {
    const ns = desired.namespaces[namespace]!;
    const now = remaining.namespaces[namespace]!;
    for (const name of Object.keys(ns.links).sort()) {
      const want = ns.links[name]!;
      const key = `${namespace}/${name}`;
      const address = linkAddress(namespace, name);
      const removed = removal.links.get(key);
      const before = removed ? observed.namespaces[namespace]!.links[name]! : undefined;
      const have = now.links[name];
      if (!have) {
        if (!isVirtual(want.kind)) {
          throw new PlanError(
            `Cannot plan link "${name}" in namespace "${namespace}": it does not exist, and a ` +
              `${want.kind} link is referenced, never created`,
            [address],
          );
        }
        const forced = replaced.get(key);
        ctx.changes.push({
          address,
          type: "link",
          namespace,
          action: before ? "replace" : "create",
          before: before ? linkAttributes(before) : null,
          after: linkAttributes(want),
          replacePaths: forced ?? [],
          reason: forced
            ? `${forced.join(", ")} cannot be changed in place`
            : removed
            ? `deleted by the kernel with ${removed.cause}; created again`
            : "it is in the topology",
        });
        if (createdWithPeer.has(key)) continue;
        const spec = createSpec(ctx, namespace, name, want);
        if (spec.peer) createdWithPeer.add(`${spec.peer.namespace}/${spec.peer.name}`);
        ctx.steps.push({
          change: address,
          operation: { op: "link.create", link: spec },
          depth: ctx.depthOf(namespace, name),
        });
        if (want.kind === "bridge" && want.mtu !== undefined) {
          // IFLA_MTU at creation does not mark the MTU as set by the user, so the
          // bridge would follow its ports (br_mtu_auto_adjust) as they join;
          // setting it again after the creates (dev_set_mtu) pins it.
          ctx.steps.push({
            change: address,
            operation: { op: "link.update", namespace, name, changes: { mtu: want.mtu } },
            depth: ctx.depthOf(namespace, name),
            late: true,
          });
        }
        continue;
      }
      const changes = linkChanges(want, have, namespace === ROOT_NAMESPACE && name === "lo");
      if (Object.keys(changes).length === 0) continue;
      const adopting = changes.alias !== undefined && isVirtual(want.kind) &&
        linkOwner(have, topology).kind === "none";
      const foreign = adopting && name !== "lo"
        ? adoptionAllowed(ctx, `link "${name}" in namespace "${namespace}"`, namespace, name)
        : [];
      const after = { ...have, ...withoutNulls(changes), ipvlan: have.ipvlan } as Link;
      if (changes.master === null) delete after.master;
      ctx.changes.push({
        address,
        type: "link",
        namespace,
        action: adopting ? "import" : "update",
        before: linkAttributes(have),
        after: linkAttributes(after),
        replacePaths: [],
        reason: adopting
          ? "it exists and matches; it will be marked as owned" +
            (foreign.length > 0 ? `; it also carries ${foreign.join(", ")}, not declared` : "")
          : `${Object.keys(changes).join(" and ")} differ`,
      });
      ctx.steps.push({
        change: address,
        operation: { op: "link.update", namespace, name, changes },
        depth: ctx.depthOf(namespace, name),
      });
    }
  }
}

/**
 * What adopting a namespace (or link `name` in it) would bring under the topology without the
 * topology declaring it: links, addresses and routes that are neither owned, declared nor the
 * kernel's own. Once adopted, destroy deletes the namespace (or link) and the kernel takes
 * these with it, so adopting is refused unless foreign cascades are allowed, and then they are
 * named in the plan.
 *
 * @throws {PlanError} naming them, unless `ctx.allowCascadeForeign`.
 */
function adoptionAllowed(
  ctx: PlanContext,
  what: string,
  namespace: string,
  name?: string,
): string[] {
  const ns = ctx.observed.namespaces[namespace];
  if (!ns) return [];
  const foreign: string[] = [];
  for (const [key, object] of stateEntries({ namespaces: { [namespace]: ns } })) {
    if (object.type === "namespace") continue;
    if (name !== undefined) {
      const on = object.type === "address"
        ? object.name
        : object.type === "route"
        ? object.route.dev
        : undefined;
      if (on !== name) continue;
    }
    if (isForeign(ctx.observed, object, ctx.desired)) foreign.push(key);
  }
  if (foreign.length === 0 || ctx.allowCascadeForeign) return foreign;
  const shown = foreign.slice(0, 12).join(", ") +
    (foreign.length > 12 ? `, and ${foreign.length - 12} more` : "");
  throw new PlanError(
    `Cannot adopt ${what}: it holds ${foreign.length} object(s) this topology does not ` +
      `declare, which destroy would delete with it: ${shown}; declare them in the topology to ` +
      `adopt them too, remove them, use another name, or pass --allow-cascade-foreign`,
    foreign,
  );
}

function withoutNulls(changes: LinkChanges): Partial<Link> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(changes)) if (v !== null && k !== "ipvlan") out[k] = v;
  return out as Partial<Link>;
}

/** In-place changes from `have` to `want`; unset desired attributes are left alone. */
function linkChanges(want: Link, have: Link, isRootLoopback: boolean): LinkChanges {
  const changes: LinkChanges = {};
  if (want.up !== undefined && want.up !== have.up) changes.up = want.up;
  if (want.mtu !== undefined && want.mtu !== have.mtu) changes.mtu = want.mtu;
  if (!isRootLoopback && want.alias !== undefined && want.alias !== have.alias) {
    changes.alias = want.alias;
  }
  // A link netform creates has no bridge unless the topology says so.
  const managesMaster = want.master !== undefined || isVirtual(want.kind);
  if (managesMaster && want.master !== have.master) changes.master = want.master ?? null;
  if (want.kind === "macvlan" && have.kind === "macvlan" && want.mode !== have.mode) {
    changes.macvlanMode = want.mode;
  }
  return changes;
}

function createSpec(ctx: PlanContext, namespace: string, name: string, want: Link): LinkSpec {
  const kind = want.kind as LinkSpec["kind"];
  const spec: LinkSpec = { namespace, name, kind, up: want.up ?? false };
  if (want.mtu !== undefined) spec.mtu = want.mtu;
  spec.alias = want.alias ?? ownerAlias(ctx.topology);
  if (want.master !== undefined) spec.master = want.master;
  if (want.kind === "ipvlan" || want.kind === "macvlan") spec.parent = want.parent;
  if (want.kind === "ipvlan") {
    const parent = ctx.desired.namespaces[want.parent.namespace]?.links[want.parent.name];
    spec.ipvlan = parent?.ipvlan ?? { mode: "l3", flags: "bridge" };
  }
  if (want.kind === "macvlan") spec.macvlanMode = want.mode;
  if (want.kind === "veth") {
    const peer = ctx.desired.namespaces[want.peer.namespace]?.links[want.peer.name];
    if (!peer || peer.kind !== "veth") {
      throw new PlanError(
        `Cannot create veth "${name}" in namespace "${namespace}": its peer ${
          refText(want.peer)
        } is not a veth in the topology`,
        [linkAddress(namespace, name)],
      );
    }
    spec.peer = { namespace: want.peer.namespace, name: want.peer.name, up: peer.up ?? false };
    if (peer.mtu !== undefined) spec.peer.mtu = peer.mtu;
    spec.peer.alias = peer.alias ?? ownerAlias(ctx.topology);
    if (peer.master !== undefined) spec.peer.master = peer.master;
  }
  return spec;
}

/**
 * ipvlan mode and flags belong to the master's port. Creating a slave sets them
 * for the whole port; otherwise they change in place through any surviving
 * slave. Either way every slave of the port changes, so slaves this topology
 * does not own forbid it.
 */
function diffIpvlanPorts(ctx: PlanContext): void {
  const { desired, remaining, topology } = ctx;
  const slavesNow = indexDependents(remaining).children;
  for (const [namespace, ns] of Object.entries(desired.namespaces)) {
    for (const [name, want] of Object.entries(ns.links)) {
      if (!want.ipvlan) continue;
      const have = remaining.namespaces[namespace]?.links[name];
      if (!have) continue; // created by this plan: its attributes show the settings
      if (!have.ipvlan) {
        // No port yet: creating the first slave sets mode and flags. Shown here,
        // on the master, because that is where the topology declares them.
        showPortChange(ctx, namespace, name, have, want.ipvlan, {
          alone: "creating its first ipvlan slave sets the port's mode and flags",
          added: "creating its first ipvlan slave sets the port's mode and flags",
        });
        continue;
      }
      if (have.ipvlan.mode === want.ipvlan.mode && have.ipvlan.flags === want.ipvlan.flags) {
        continue;
      }
      const slaves = (slavesNow.get(`${namespace}/${name}`) ?? []).filter((s) =>
        remaining.namespaces[s.namespace]!.links[s.name]!.kind === "ipvlan"
      );
      const address = linkAddress(namespace, name);
      showPortChange(ctx, namespace, name, have, want.ipvlan, {
        alone: "ipvlan mode and flags differ (they apply to every slave of this master)",
        added: "ipvlan port settings differ",
      });
      // Sent through a slave of our own where there is one. Foreign slaves change too: the
      // plan's foreign side effects name them (apply/foreign_side_effects.ts).
      const via = slaves.find((s) =>
        linkOwner(remaining.namespaces[s.namespace]!.links[s.name], topology).kind === "this"
      ) ?? slaves[0]!;
      ctx.steps.push({
        change: address,
        operation: {
          op: "link.update",
          namespace: via.namespace,
          name: via.name,
          changes: { ipvlan: want.ipvlan },
        },
        depth: ctx.depthOf(via.namespace, via.name),
      });
    }
  }
}

/**
 * Shows a port's new mode and flags on the master's change: one change per object, so when the
 * master already changes (brought up, say) the port settings join that change.
 */
function showPortChange(
  ctx: PlanContext,
  namespace: string,
  name: string,
  have: Link,
  port: IpvlanPort,
  reasons: { alone: string; added: string },
): void {
  const address = linkAddress(namespace, name);
  const existing = ctx.changes.find((c) => c.address === address);
  if (existing?.after) {
    existing.after["ipvlan.mode"] = port.mode;
    existing.after["ipvlan.flags"] = port.flags;
    existing.reason += `, ${reasons.added}`;
    return;
  }
  ctx.changes.push({
    address,
    type: "link",
    namespace,
    action: "update",
    before: linkAttributes(have),
    after: linkAttributes({ ...have, ipvlan: port } as Link),
    replacePaths: [],
    reason: reasons.alone,
  });
}

/**
 * A bridge follows the smallest MTU of its ports (br_mtu_auto_adjust) until its
 * MTU is set by the user. When a port joins a bridge whose MTU the topology
 * declares, the MTU is set again once the ports have joined, which also marks
 * it as the user's, so later ports leave it alone.
 */
function pinBridgeMtus(ctx: PlanContext): void {
  const joining = new Set<string>();
  for (const { operation: op } of ctx.steps) {
    if (op.op === "link.create") {
      if (op.link.master !== undefined) joining.add(`${op.link.namespace}/${op.link.master}`);
      if (op.link.peer?.master !== undefined) {
        joining.add(`${op.link.peer.namespace}/${op.link.peer.master}`);
      }
    } else if (op.op === "link.update" && typeof op.changes.master === "string") {
      joining.add(`${op.namespace}/${op.changes.master}`);
    }
  }
  const pinned = new Set(
    ctx.steps.filter((s) => s.late && s.operation.op === "link.update").map((s) => s.change),
  );
  for (const key of [...joining].sort()) {
    const slash = key.indexOf("/");
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const want = ctx.desired.namespaces[namespace]?.links[name];
    if (want?.kind !== "bridge" || want.mtu === undefined) continue;
    const address = linkAddress(namespace, name);
    if (pinned.has(address)) continue;
    const have = ctx.remaining.namespaces[namespace]?.links[name];
    if (have && !ctx.changes.some((c) => c.address === address)) {
      ctx.changes.push({
        address,
        type: "link",
        namespace,
        action: "update",
        before: linkAttributes(have),
        after: linkAttributes(have),
        replacePaths: [],
        reason: "ports join it, which would lower its MTU; the MTU is set again after they join",
      });
    }
    ctx.steps.push({
      change: address,
      operation: { op: "link.update", namespace, name, changes: { mtu: want.mtu } },
      depth: ctx.depthOf(namespace, name),
      late: true,
    });
  }
}
