/**
 * Addresses and routes: resources of their own, owned through their protocol
 * number. Those the kernel removes with a link or namespace are shown as
 * deleted (or replaced, when the topology still wants them) without a step.
 *
 * @module
 */
import { PlanError } from "../errors.ts";
import { KERNEL_PROTOCOL, NETFORM_PROTOCOL, tableName } from "../model/names.ts";
import type { Address, Route } from "../model/state.ts";
import { familyOf, parseCidr } from "../manifest/ip.ts";
import { marksIPv4AddressInPlace } from "../model/kernel_release.ts";
import {
  addressAddress,
  linkAddress,
  namespaceAddress,
  routeAddress,
  routeDestination,
  routeKey,
} from "./address.ts";
import { ownsAddress, ownsRoute } from "./ownership.ts";
import type { Attributes } from "./plan.ts";
import type { PlanContext } from "./planner.ts";

/**
 * A topology looks only inside the namespaces it declares or owns: objects in
 * anyone else's namespace are not its own, whatever their protocol says.
 */
function inScope(ctx: PlanContext, namespace: string): boolean {
  return ctx.desired.namespaces[namespace] !== undefined || ctx.removal.namespaces.has(namespace);
}

/** The removal that takes a link (and so its addresses and routes), if any. */
function removedWith(ctx: PlanContext, namespace: string, link: string): string | undefined {
  if (ctx.removal.links.size === 0 && ctx.removal.namespaces.size === 0) return undefined;
  if (ctx.removal.namespaces.has(namespace)) return namespaceAddress(namespace);
  const removed = ctx.removal.links.get(`${namespace}/${link}`);
  return removed ? linkAddress(namespace, link) : undefined;
}

/**
 * The IPv4 primary of each observed secondary address on a link (same prefix length, same
 * subnet): the kernel deletes the secondaries with their primary (promote_secondaries is 0).
 */
function primariesOf(addresses: readonly Address[]): Map<string, string> {
  const out = new Map<string, string>();
  const parsed = addresses.map((a) => ({ a, c: parseCidr(a.cidr) }));
  for (const { a, c } of parsed) {
    if (!a.secondary || c === undefined) continue;
    const primary = parsed.find(({ a: p, c: o }) =>
      !p.secondary && o !== undefined && o.prefix === c.prefix && familyOf(o.ip) === 4 &&
      familyOf(c.ip) === 4 && c.ip.match(o.ip, o.prefix)
    );
    if (primary) out.set(a.cidr, primary.a.cidr);
  }
  return out;
}

export function diffAddresses(ctx: PlanContext): void {
  const { desired, observed, remaining, topology } = ctx;
  /**
   * `namespace/link/cidr` of wanted addresses that the kernel deletes during the plan → what
   * takes them: their IPv4 primary, or their link going down (IPv6, keep_addr_on_down 0).
   */
  const takenBy = new Map<string, string>();
  for (const { operation: op } of ctx.steps) {
    if (op.op !== "link.update" || op.changes.up !== false) continue;
    const link = remaining.namespaces[op.namespace]?.links[op.name];
    for (const a of link?.addresses ?? []) {
      if (a.cidr.includes(":")) {
        takenBy.set(`${op.namespace}/${op.name}/${a.cidr}`, linkAddress(op.namespace, op.name));
      }
    }
  }
  // Owned addresses that the topology no longer wants.
  for (const [namespace, ns] of Object.entries(observed.namespaces)) {
    if (!inScope(ctx, namespace)) continue;
    for (const [name, link] of Object.entries(ns.links)) {
      const wanted = new Set(
        desired.namespaces[namespace]?.links[name]?.addresses.map((a) => a.cidr),
      );
      const cause = removedWith(ctx, namespace, name);
      const deleted = (a: Address) =>
        ownsAddress(a, link, topology) && !wanted.has(a.cidr) && cause === undefined;
      const primaries = primariesOf(link.addresses);
      for (const a of link.addresses) {
        if (!ownsAddress(a, link, topology) || (wanted.has(a.cidr) && cause === undefined)) {
          continue;
        }
        if (wanted.has(a.cidr)) continue; // recreated below as a replacement
        const address = addressAddress(namespace, name, a.cidr);
        const primary = primaries.get(a.cidr);
        // A secondary whose primary is deleted too goes with it: no step of its own.
        const withPrimary = primary !== undefined &&
            deleted(link.addresses.find((p) => p.cidr === primary)!)
          ? addressAddress(namespace, name, primary)
          : undefined;
        const by = cause ?? withPrimary;
        ctx.changes.push({
          address,
          type: "address",
          namespace,
          action: "delete",
          before: { address: a.cidr, link: name },
          after: null,
          replacePaths: [],
          reason: "it is not in the topology",
          ...(by ? { cascadeOf: by } : {}),
        });
        if (!by) {
          ctx.steps.push({
            change: address,
            operation: { op: "address.delete", namespace, link: name, cidr: a.cidr },
            depth: ctx.depthOf(namespace, name),
          });
        }
      }
      // Secondaries the topology wants while their primary is deleted: the kernel deletes
      // them anyway, so they are added again.
      for (const [secondary, primary] of primaries) {
        const p = link.addresses.find((x) => x.cidr === primary)!;
        const s = link.addresses.find((x) => x.cidr === secondary)!;
        if (!deleted(p) || deleted(s)) continue;
        if (wanted.has(secondary)) {
          takenBy.set(
            `${namespace}/${name}/${secondary}`,
            addressAddress(namespace, name, primary),
          );
          continue;
        }
        // A secondary the topology does not own goes too: the plan's foreign side effects
        // (worked out on the model of the kernel, see apply/foreign_side_effects.ts) name it.
      }
    }
  }
  const recreated = addressesToRecreate(ctx, takenBy);
  // Addresses the topology wants.
  for (const [namespace, ns] of Object.entries(desired.namespaces)) {
    for (const [name, link] of Object.entries(ns.links)) {
      const now = remaining.namespaces[namespace]?.links[name];
      const before = observed.namespaces[namespace]?.links[name];
      const cause = removedWith(ctx, namespace, name);
      for (const a of link.addresses) {
        const address = addressAddress(namespace, name, a.cidr);
        const taker = takenBy.get(`${namespace}/${name}/${a.cidr}`);
        const have = taker === undefined
          ? now?.addresses.find((x) => x.cidr === a.cidr)
          : undefined;
        const attributes = { address: a.cidr, link: name };
        if (have && have.protocol === NETFORM_PROTOCOL) continue;
        const recreate = recreated.get(`${namespace}/${name}/${a.cidr}`);
        if (have) {
          ctx.changes.push({
            address,
            type: "address",
            namespace,
            action: "import",
            before: { ...attributes, protocol: have.protocol },
            after: { ...attributes, protocol: NETFORM_PROTOCOL },
            replacePaths: [],
            reason: recreate === undefined
              ? "it exists; it will be marked as owned"
              : `it exists; it will be deleted and added again, marked as owned (${REMARK_WHY})`,
          });
          if (recreate?.withPrimary === false) {
            ctx.steps.push({
              change: address,
              operation: { op: "address.delete", namespace, link: name, cidr: a.cidr },
              depth: ctx.depthOf(namespace, name),
            });
          }
        } else {
          const hadIt = (cause !== undefined || taker !== undefined) &&
            before?.addresses.some((x) => x.cidr === a.cidr);
          ctx.changes.push({
            address,
            type: "address",
            namespace,
            action: hadIt ? "replace" : "create",
            before: hadIt ? attributes : null,
            after: attributes,
            replacePaths: [],
            reason: hadIt
              ? `deleted by the kernel with ${cause ?? taker}; added again`
              : "it is in the topology",
          });
        }
        ctx.steps.push({
          change: address,
          operation: {
            op: "address.add",
            namespace,
            link: name,
            cidr: a.cidr,
            protocol: NETFORM_PROTOCOL,
            ...(have && recreate === undefined ? { replace: true } : {}),
          },
          depth: ctx.depthOf(namespace, name),
        });
      }
    }
  }
}

/** Why an IPv4 address is adopted by re-creating it, for the plan's reason. */
const REMARK_WHY = "before Linux 6.4 the kernel cannot mark an existing IPv4 address";

/**
 * The IPv4 addresses to adopt on a kernel that cannot mark them in place (see
 * `kernel_release.ts`), as `namespace/link/cidr` → whether the address goes with a primary that
 * is re-created too (then it has no delete step of its own). Each is deleted and added again,
 * so the routes the kernel flushes with it (the link's last IPv4 address: every IPv4 route
 * through the link; any address: the routes using it as source) are added again too
 * (`flushedBySteps`). Owned secondaries a re-created primary takes along are put in `takenBy`,
 * to be added again.
 */
function addressesToRecreate(
  ctx: PlanContext,
  takenBy: Map<string, string>,
): Map<string, { withPrimary: boolean }> {
  const out = new Map<string, { withPrimary: boolean }>();
  if (marksIPv4AddressInPlace(ctx.observed.kernelRelease)) return out;
  for (const [namespace, ns] of Object.entries(ctx.desired.namespaces)) {
    for (const [name, link] of Object.entries(ns.links)) {
      const now = ctx.remaining.namespaces[namespace]?.links[name];
      if (now === undefined || removedWith(ctx, namespace, name) !== undefined) continue;
      const key = (cidr: string) => `${namespace}/${name}/${cidr}`;
      const wanted = new Set(link.addresses.map((a) => a.cidr));
      const adopted = now.addresses.filter((a) =>
        wanted.has(a.cidr) && a.protocol !== NETFORM_PROTOCOL && !a.cidr.includes(":") &&
        !takenBy.has(key(a.cidr))
      );
      if (adopted.length === 0) continue;
      const primaries = primariesOf(now.addresses);
      const adoptedCidrs = new Set(adopted.map((a) => a.cidr));
      for (const a of adopted) {
        const primary = primaries.get(a.cidr);
        out.set(key(a.cidr), {
          withPrimary: primary !== undefined && adoptedCidrs.has(primary),
        });
      }
      for (const [secondary, primary] of primaries) {
        if (!adoptedCidrs.has(primary) || adoptedCidrs.has(secondary)) continue;
        if (wanted.has(secondary)) {
          takenBy.set(key(secondary), addressAddress(namespace, name, primary));
        }
      }
    }
  }
  return out;
}

export function routeAttributes(route: Route): Attributes {
  const a: Attributes = { to: routeDestination({ to: route.to, metric: 0 }), type: route.type };
  if (route.via !== undefined) a.via = route.via;
  if (route.dev !== undefined) a.dev = route.dev;
  if (route.scope !== undefined) a.scope = route.scope;
  a.metric = route.metric;
  a.table = tableName(route.table);
  if (route.src !== undefined) a.src = route.src;
  return a;
}

/** Attributes that differ, comparing only what the topology sets. */
function routeDifferences(want: Route, have: Route): string[] {
  const diffs: string[] = [];
  if (want.type !== have.type) diffs.push("type");
  if (want.via !== have.via) diffs.push("via");
  if (want.dev !== undefined && want.dev !== have.dev) diffs.push("dev");
  if (want.scope !== undefined && want.scope !== have.scope) diffs.push("scope");
  if (want.src !== undefined && want.src !== have.src) diffs.push("src");
  return diffs;
}

export function diffRoutes(ctx: PlanContext): void {
  const { desired, observed, remaining, topology } = ctx;
  for (const [namespace, ns] of Object.entries(observed.namespaces)) {
    if (!inScope(ctx, namespace)) continue;
    const wanted = new Set((desired.namespaces[namespace]?.routes ?? []).map(routeKey));
    const left = new Set((remaining.namespaces[namespace]?.routes ?? []).map(routeKey));
    for (const route of ns.routes) {
      if (!ownsRoute(observed, namespace, route, topology)) continue;
      const key = routeKey(route);
      const gone = !left.has(key);
      if (wanted.has(key)) continue; // kept, updated or recreated below
      const cause = gone
        ? (ctx.removal.namespaces.has(namespace)
          ? namespaceAddress(namespace)
          : linkAddress(namespace, route.dev ?? ""))
        : undefined;
      const address = routeAddress(namespace, route);
      ctx.changes.push({
        address,
        type: "route",
        namespace,
        action: "delete",
        before: routeAttributes(route),
        after: null,
        replacePaths: [],
        reason: "it is not in the topology",
        ...(cause ? { cascadeOf: cause } : {}),
      });
      if (!cause) {
        ctx.steps.push({
          change: address,
          operation: { op: "route.delete", namespace, route },
          depth: 0,
        });
      }
    }
  }
  const flushed = flushedBySteps(ctx);
  for (const [namespace, ns] of Object.entries(desired.namespaces)) {
    const now = new Map(
      (remaining.namespaces[namespace]?.routes ?? [])
        .filter((r) => flushed.size === 0 || !flushed.has(`${namespace} ${routeKey(r)}`))
        .map((r) => [routeKey(r), r]),
    );
    const before = new Map(
      (observed.namespaces[namespace]?.routes ?? []).map((r) => [routeKey(r), r]),
    );
    for (const want of ns.routes) {
      const key = routeKey(want);
      const have = now.get(key);
      if (have && have.protocol !== KERNEL_PROTOCOL && routeDifferences(want, have).length === 0) {
        if (ownsRoute(remaining, namespace, have, topology)) continue; // converged: the common case
      }
      const address = routeAddress(namespace, want);
      // A route the kernel flushes during the apply is added with replace, in case it survives.
      const add = (replace: boolean) =>
        ctx.steps.push({
          change: address,
          operation: { op: "route.add", namespace, route: want, ...(replace ? { replace } : {}) },
          depth: 0,
        });
      if (!have) {
        const old = before.get(key);
        const recreated = old !== undefined && ownsRoute(observed, namespace, old, topology);
        // One that exists unmarked and that the kernel flushes during the apply (with an address
        // re-created to adopt it) is still an import.
        const adopted = !recreated && old !== undefined && old.protocol !== KERNEL_PROTOCOL &&
          routeDifferences(want, old).length === 0;
        ctx.changes.push({
          address,
          type: "route",
          namespace,
          action: recreated ? "replace" : adopted ? "import" : "create",
          before: recreated || adopted ? routeAttributes(old) : null,
          after: routeAttributes(want),
          replacePaths: [],
          reason: recreated
            ? "deleted by the kernel with the link it goes through; added again"
            : adopted
            ? "it exists; the kernel deletes it during the apply, and it is added again, marked as owned"
            : "it is in the topology",
        });
        add(flushed.size > 0 && flushed.has(`${namespace} ${key}`));
        continue;
      }
      const diffs = routeDifferences(want, have);
      const owned = ownsRoute(remaining, namespace, have, topology);
      if (have.protocol === KERNEL_PROTOCOL) {
        if (diffs.length === 0) continue; // the kernel's own route already does it
        throw new PlanError(
          `Cannot add route "${routeDestination(want)}" (table ${
            tableName(want.table)
          }) in namespace ` +
            `"${namespace}": the kernel's route for a connected subnet has the same destination and ` +
            `metric; give the route another metric`,
          [address],
        );
      }
      if (owned && diffs.length === 0) continue;
      ctx.changes.push({
        address,
        type: "route",
        namespace,
        action: owned ? "update" : "import",
        before: routeAttributes(have),
        after: routeAttributes({ ...want, dev: want.dev ?? have.dev }),
        replacePaths: [],
        reason: owned ? `${diffs.join(", ")} differ` : "it exists; it will be marked as owned",
      });
      add(true);
    }
  }
}

/**
 * Routes (as `"<namespace> <routeKey>"`) the kernel deletes as a side effect of
 * this plan's address deletions and links going down, which run before routes
 * are added: a link going down loses every route through it (fib_sync_down_dev),
 * deleting an IPv4 address (and with a primary, its secondaries) kills the routes using it as
 * preferred source, and deleting a link's last IPv4 address every IPv4 route through it
 * (fib_disable_ip).
 */
function flushedBySteps(ctx: PlanContext): Set<string> {
  const out = new Set<string>();
  const deleted = new Map<string, Set<string>>();
  const down = new Set<string>();
  for (const { operation: op } of ctx.steps) {
    if (op.op === "address.delete") {
      const key = `${op.namespace}/${op.link}`;
      if (!deleted.has(key)) deleted.set(key, new Set());
      deleted.get(key)!.add(op.cidr);
    }
    if (op.op === "link.update" && op.changes.up === false) down.add(`${op.namespace}/${op.name}`);
  }
  const isV4 = (cidr: string) => !cidr.includes(":");
  for (const [namespace, ns] of Object.entries(ctx.remaining.namespaces)) {
    for (const [name, link] of Object.entries(ns.links)) {
      const key = `${namespace}/${name}`;
      const gone = deleted.get(key);
      if (!gone && !down.has(key)) continue;
      // A deleted primary takes its secondaries along: they are gone too.
      for (const [secondary, primary] of primariesOf(link.addresses)) {
        if (gone?.has(primary)) gone.add(secondary);
      }
      const goneV4 = [...(gone ?? [])].filter(isV4);
      const lastV4 = goneV4.length > 0 &&
        link.addresses.every((a) => !isV4(a.cidr) || gone!.has(a.cidr));
      const srcs = new Set(goneV4.map((c) => c.slice(0, c.indexOf("/"))));
      for (const r of ns.routes) {
        const viaLink = r.dev === name;
        if (
          (viaLink && down.has(key)) || (viaLink && lastV4 && isV4(r.to)) ||
          (r.src !== undefined && srcs.has(r.src))
        ) {
          out.add(`${namespace} ${routeKey(r)}`);
        }
      }
    }
  }
  return out;
}
