/**
 * Operations to rtnetlink requests, for the live driver. Pure: no FFI, no kernel access. What
 * the requests need from the host (ifindexes by name, namespace fds) comes in through
 * {@linkcode Resolver}, so the functions can be tested without root.
 *
 * One operation becomes a {@linkcode Step}: a namespace file operation, or netlink batches sent
 * in order, each on a socket in its namespace. A link creation is one `RTM_NEWLINK` (a veth
 * pair included) plus, when the link has an alias or a master, one follow-up `RTM_NEWLINK` per
 * end: the kernel ignores `IFLA_IFALIAS` at creation and `IFLA_MASTER` on a veth peer, and
 * refuses IFF_UP on a veth peer (`ENOTCONN` on 6.18).
 *
 * A slave created from another namespace (an ipvlan or macvlan whose parent lives elsewhere) is
 * created under a temporary name and renamed where it lands: 6.1 looks `IFLA_IFNAME` up in the
 * socket's namespace, not the target's (see {@linkcode createLink}).
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import {
  AF_INET,
  AF_INET6,
  type Attr,
  attr,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_LOCAL,
  IFA_PROTO,
  ifaddrmsg,
  IFF_UP,
  ifinfomsg,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPVLAN_FLAGS,
  IFLA_IPVLAN_MODE,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_UNSPEC,
  RTA_DST,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  rtmsg,
  VETH_INFO_PEER,
} from "../../../ffi/messages.ts";
import type { Request } from "../../../ffi/socket.ts";
import { KernelError } from "../../errors.ts";
import type { LinkChanges, LinkSpec, Operation } from "../../model/operations.ts";
import { byteLength, kernelNameProblem, MAX_LINK_NAME_BYTES } from "../../model/names.ts";
import type {
  IpvlanFlag,
  IpvlanMode,
  IpvlanPort,
  MacvlanMode,
  Route,
  RouteScope,
  RouteType,
} from "../../model/state.ts";

/** What building requests needs to know about the host. */
export interface Resolver {
  /** The ifindex of link `name` in `namespace` (`root` included), or `undefined` when none. */
  ifindex(namespace: string, name: string): number | undefined;
  /** An open fd of `namespace`'s network namespace, for `IFLA_NET_NS_FD`. */
  namespaceFd(namespace: string): number;
  /**
   * Whether a link called `name` is in `namespace`, as far as the resolver knows without asking
   * the kernel again (a cached dump, plus what was created since). Absent: `ifindex` decides.
   */
  nameTaken?(namespace: string, name: string): boolean;
}

/** Requests sent in order on a socket in `namespace`. */
export interface Batch {
  namespace: string;
  requests: Request[];
}

/**
 * Requests that need what an earlier batch of the same step made (an ifindex the kernel
 * assigned), built only when they are sent, with a view of the host taken after the batches
 * before them ran.
 */
export interface LateBatch {
  namespace: string;
  build(resolve: Resolver): Request[];
}

/** What one operation does. */
export type Step =
  | { kind: "namespace.create"; namespace: string }
  | { kind: "namespace.delete"; namespace: string }
  | {
    kind: "netlink";
    /** Sent in order; the first failure stops the step. */
    batches: (Batch | LateBatch)[];
    /** Sent (best effort) when a batch after the first fails, to leave nothing half-made. */
    undo?: Batch | LateBatch;
  };

/** IFLA_IPVLAN_MODE values. */
export const IPVLAN_MODE_VALUE: Readonly<Record<IpvlanMode, number>> = { l2: 0, l3: 1, l3s: 2 };
/** IFLA_IPVLAN_FLAGS values. */
export const IPVLAN_FLAGS_VALUE: Readonly<Record<IpvlanFlag, number>> = {
  bridge: 0,
  private: 1,
  vepa: 2,
};
/** IFLA_MACVLAN_MODE values. */
export const MACVLAN_MODE_VALUE: Readonly<Record<MacvlanMode, number>> = {
  private: 1,
  vepa: 2,
  bridge: 4,
  passthru: 8,
  source: 16,
};
/** rtm_type values. */
export const ROUTE_TYPE_VALUE: Readonly<Record<RouteType, number>> = {
  unicast: 1,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
};
/** rtm_scope values. */
export const ROUTE_SCOPE_VALUE: Readonly<Record<RouteScope, number>> = {
  universe: RT_SCOPE_UNIVERSE,
  link: RT_SCOPE_LINK,
  host: RT_SCOPE_HOST,
};

const CREATE = NLM_F_CREATE | NLM_F_EXCL;
/** IFALIASZ - 1: the longest alias the IFLA_IFALIAS policy accepts. */
const MAX_ALIAS_BYTES = 255;

/** The step that performs `op`. Throws `KernelError` `ENODEV` for a link it cannot resolve. */
export function stepFor(op: Operation, resolve: Resolver): Step {
  switch (op.op) {
    case "namespace.create":
      return { kind: "namespace.create", namespace: op.namespace };
    case "namespace.delete":
      return { kind: "namespace.delete", namespace: op.namespace };
    case "link.create":
      return createLink(op.link, resolve);
    case "link.update":
      return {
        kind: "netlink",
        batches: [{
          namespace: op.namespace,
          requests: [updateLink(op.namespace, op.name, op.changes, resolve)],
        }],
      };
    case "link.delete":
      return {
        kind: "netlink",
        batches: [{
          namespace: op.namespace,
          requests: [deleteLink(op.namespace, op.name, resolve)],
        }],
      };
    case "address.add":
    case "address.delete":
      return {
        kind: "netlink",
        batches: [{ namespace: op.namespace, requests: [addressRequest(op, resolve)] }],
      };
    case "route.add":
    case "route.delete":
      return {
        kind: "netlink",
        batches: [{ namespace: op.namespace, requests: [routeRequest(op, resolve)] }],
      };
  }
}

// ------------------------------------------------------------------------------------- links

/** The header that selects a link: by ifindex when known, else by name (ifindex 0). */
function selectLink(
  namespace: string,
  name: string,
  resolve: Resolver,
  flags: { flags?: number; change?: number } = {},
): { header: Uint8Array; attrs: Attr[] } {
  const index = resolve.ifindex(namespace, name);
  // Unknown to the cache: let the kernel look the name up (it answers ENODEV when missing).
  return index === undefined
    ? { header: ifinfomsg({ ...flags }), attrs: [attr.string(IFLA_IFNAME, name)] }
    : { header: ifinfomsg({ ...flags, index }), attrs: [] };
}

function upFlags(up: boolean | undefined): { flags?: number; change?: number } {
  return up === undefined ? {} : { flags: up ? IFF_UP : 0, change: IFF_UP };
}

/** An ifindex the request cannot do without; `ENODEV` (as the kernel) when there is none. */
function requireIndex(namespace: string, name: string, resolve: Resolver, action: string): number {
  const index = resolve.ifindex(namespace, name);
  if (index === undefined) {
    throw new KernelError(
      "ENODEV",
      action,
      `Link "${name}" does not exist in namespace "${namespace}"`,
    );
  }
  return index;
}

function ipvlanData(port: IpvlanPort): Attr {
  // Always both: an absent mode means L3 to the kernel (§3.14).
  return attr.nested(IFLA_INFO_DATA, [
    attr.u16(IFLA_IPVLAN_MODE, IPVLAN_MODE_VALUE[port.mode]),
    attr.u16(IFLA_IPVLAN_FLAGS, IPVLAN_FLAGS_VALUE[port.flags]),
  ]);
}

function macvlanData(mode: MacvlanMode): Attr {
  return attr.nested(IFLA_INFO_DATA, [attr.u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_VALUE[mode])]);
}

function createAction(spec: LinkSpec): string {
  return `Cannot create link "${spec.name}" in namespace "${spec.namespace}"`;
}

/**
 * `link.create`: `RTM_NEWLINK` with `NLM_F_CREATE|NLM_F_EXCL`. An ipvlan or macvlan is sent on
 * a socket in its parent's namespace (so `IFLA_LINK` is the parent's ifindex there) with
 * `IFLA_NET_NS_FD` of its own namespace; a veth peer in another namespace gets
 * `IFLA_NET_NS_FD` inside `VETH_INFO_PEER`. Alias and master (and a veth peer's IFF_UP) follow
 * in one `RTM_NEWLINK` per end, by name.
 *
 * When the socket's namespace is not the link's, 6.1 refuses a name that exists in the
 * *socket's* namespace with `EEXIST` (`__rtnl_newlink` looks `IFLA_IFNAME` up there before it
 * creates anything; fixed upstream in 2025 by ec061546c6cf). Such a link is therefore created
 * down under a temporary name that is free in both namespaces, then renamed by ifindex where it
 * landed (6.1 refuses to rename an up device), then given its alias, master and IFF_UP. The
 * final name is checked first (free in the target namespace, valid), so a refusal that the
 * kernel would give before creating anything still changes nothing.
 */
export function createLink(spec: LinkSpec, resolve: Resolver): Step {
  const action = createAction(spec);
  const socketNs = spec.parent?.namespace ?? spec.namespace;
  const elsewhere = socketNs !== spec.namespace;
  const attrs: Attr[] = [];
  if (spec.mtu !== undefined) attrs.push(attr.u32(IFLA_MTU, spec.mtu));
  // Ignored by the kernel at creation, but checked against the policy (length) before anything
  // is made; the follow-up sets it.
  if (spec.alias !== undefined && spec.alias !== "") {
    attrs.push(attr.string(IFLA_IFALIAS, spec.alias));
  }
  if (elsewhere) attrs.push(attr.u32(IFLA_NET_NS_FD, resolve.namespaceFd(spec.namespace)));
  const info: Attr[] = [attr.string(IFLA_INFO_KIND, spec.kind)];
  switch (spec.kind) {
    case "ipvlan":
    case "macvlan": {
      if (spec.parent === undefined) {
        throw new KernelError("EINVAL", action, "A parent link is required");
      }
      attrs.push(
        attr.u32(IFLA_LINK, requireIndex(spec.parent.namespace, spec.parent.name, resolve, action)),
      );
      if (spec.kind === "ipvlan" && spec.ipvlan) info.push(ipvlanData(spec.ipvlan));
      if (spec.kind === "macvlan" && spec.macvlanMode) info.push(macvlanData(spec.macvlanMode));
      break;
    }
    case "veth": {
      const peer = spec.peer;
      if (peer === undefined) throw new KernelError("EINVAL", action, "A veth needs a peer");
      const peerAttrs: Attr[] = [attr.string(IFLA_IFNAME, peer.name)];
      if (peer.mtu !== undefined) peerAttrs.push(attr.u32(IFLA_MTU, peer.mtu));
      if (peer.alias !== undefined && peer.alias !== "") {
        peerAttrs.push(attr.string(IFLA_IFALIAS, peer.alias));
      }
      if (peer.namespace !== spec.namespace) {
        peerAttrs.push(attr.u32(IFLA_NET_NS_FD, resolve.namespaceFd(peer.namespace)));
      }
      // No IFF_UP in the peer's ifinfomsg: 6.18 refuses it with ENOTCONN (iproute2's
      // `peer name X up` too); the follow-up sets the peer up.
      info.push(
        attr.nested(IFLA_INFO_DATA, [attr.nested(VETH_INFO_PEER, peerAttrs, ifinfomsg())]),
      );
      break;
    }
    case "bridge":
    case "dummy":
      break;
  }
  attrs.push(attr.nested(IFLA_LINKINFO, info));
  let createName = spec.name;
  let follow: Attr[] = [];
  // Only a name the socket's namespace has trips 6.1; any other is created under its own name,
  // which spares the rename and its lookups (they cost a dump of the target namespace each).
  const quirk = elsewhere &&
    (resolve.nameTaken?.(socketNs, spec.name) ??
      resolve.ifindex(socketNs, spec.name) !== undefined);
  if (quirk) {
    // The order of refusals is the same as for a link created in place: references by name
    // (parent, master) first, then the name's own clash.
    follow = followUpAttrs(spec, resolve, action);
    checkPolicy(spec, action);
    if (resolve.ifindex(spec.namespace, spec.name) !== undefined) {
      throw new KernelError("EEXIST", action);
    }
    createName = temporaryName(resolve, [socketNs, spec.namespace]);
  }
  attrs.unshift(attr.string(IFLA_IFNAME, createName));
  const create: Request = {
    type: RTM_NEWLINK,
    flags: CREATE,
    header: ifinfomsg(spec.up && !quirk ? upFlags(true) : {}),
    attrs,
    action,
  };
  return quirk
    ? createThenRename(spec, createName, { namespace: socketNs, requests: [create] }, follow)
    : createInPlace(spec, { namespace: socketNs, requests: [create] }, resolve);
}

type End = { namespace: string; name: string; alias?: string; master?: string; up?: boolean };

/** The attributes of an end's follow-up `RTM_NEWLINK` (alias, master); none → `[]`. */
function followUpAttrs(end: End, resolve: Resolver, action: string): Attr[] {
  const follow: Attr[] = [];
  if (end.alias !== undefined && end.alias !== "") {
    follow.push(attr.string(IFLA_IFALIAS, end.alias));
  }
  if (end.master !== undefined) {
    follow.push(attr.u32(IFLA_MASTER, requireIndex(end.namespace, end.master, resolve, action)));
  }
  return follow;
}

/** The link is created under its own name, in the namespace of the socket. */
function createInPlace(spec: LinkSpec, create: Batch, resolve: Resolver): Step {
  const action = createAction(spec);
  const batches: Batch[] = [create];
  const ends: End[] = [{ ...spec, up: false }];
  if (spec.kind === "veth" && spec.peer) ends.push(spec.peer);
  for (const end of ends) {
    const follow = followUpAttrs(end, resolve, action);
    if (follow.length === 0 && !end.up) continue;
    batches.push({
      namespace: end.namespace,
      requests: [{
        type: RTM_NEWLINK,
        flags: 0,
        header: ifinfomsg(end.up ? upFlags(true) : {}),
        attrs: [attr.string(IFLA_IFNAME, end.name), ...follow],
        action,
      }],
    });
  }
  const step: Step = { kind: "netlink", batches };
  if (batches.length > 1) {
    // The link exists when a follow-up fails: delete it (a veth takes its peer along).
    step.undo = {
      namespace: spec.namespace,
      requests: [{
        type: RTM_DELLINK,
        flags: 0,
        header: ifinfomsg(),
        attrs: [attr.string(IFLA_IFNAME, spec.name)],
        action: `Cannot delete the half-made link "${spec.name}" in namespace "${spec.namespace}"`,
      }],
    };
  }
  return step;
}

/**
 * The link is created (down) under `createName` from another namespace, then renamed by ifindex
 * in its own namespace, then given alias, master and IFF_UP. The undo deletes it by that
 * ifindex, whichever name it has by then, and never a device that already had the final name.
 */
function createThenRename(
  spec: LinkSpec,
  createName: string,
  create: Batch,
  follow: Attr[],
): Step {
  const action = createAction(spec);
  let made: number | undefined;
  const rename: LateBatch = {
    namespace: spec.namespace,
    build(now) {
      made = now.ifindex(spec.namespace, createName);
      if (made === undefined) {
        throw new KernelError(
          "ENODEV",
          action,
          `The new link "${createName}" is not in namespace "${spec.namespace}"`,
        );
      }
      const requests: Request[] = [{
        type: RTM_NEWLINK,
        flags: 0,
        header: ifinfomsg({ index: made }),
        attrs: [attr.string(IFLA_IFNAME, spec.name)],
        action,
      }];
      if (follow.length > 0 || spec.up) {
        requests.push({
          type: RTM_NEWLINK,
          flags: 0,
          header: ifinfomsg({ index: made, ...(spec.up ? upFlags(true) : {}) }),
          attrs: follow,
          action,
        });
      }
      return requests;
    },
  };
  const undo: LateBatch = {
    namespace: spec.namespace,
    build(now) {
      const index = made ?? now.ifindex(spec.namespace, createName);
      const deleting =
        `Cannot delete the half-made link "${spec.name}" in namespace "${spec.namespace}"`;
      return index === undefined ? [] : [{
        type: RTM_DELLINK,
        flags: 0,
        header: ifinfomsg({ index }),
        attrs: [],
        action: deleting,
      }];
    },
  };
  return { kind: "netlink", batches: [create, rename], undo };
}

/**
 * What the kernel would refuse in the link's name and alias (the IFLA_IFNAME and IFLA_IFALIAS
 * policies, dev_valid_name), checked here when the name is sent only with the rename: before
 * anything is created, as the kernel does for a link created under its own name.
 */
function checkPolicy(spec: LinkSpec, action: string): void {
  const tooLong = byteLength(spec.name) > MAX_LINK_NAME_BYTES ||
    byteLength(spec.alias ?? "") > MAX_ALIAS_BYTES;
  if (tooLong) throw new KernelError("ERANGE", action, "Attribute failed policy validation");
  if (kernelNameProblem(spec.name) !== undefined) throw new KernelError("EINVAL", action);
}

/** `nf` + 8 random hex digits, free in each of `namespaces`. */
function temporaryName(resolve: Resolver, namespaces: string[]): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(4));
    const name = "nf" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    if (namespaces.every((ns) => resolve.ifindex(ns, name) === undefined)) return name;
  }
}

/**
 * `link.update`: one `RTM_NEWLINK` on the existing link (no create flags). The kernel applies
 * kind data first (`IFLA_LINKINFO`), then MTU, alias, master and flags.
 */
export function updateLink(
  namespace: string,
  name: string,
  changes: LinkChanges,
  resolve: Resolver,
): Request {
  const action = `Cannot update link "${name}" in namespace "${namespace}"`;
  const { header, attrs } = selectLink(namespace, name, resolve, upFlags(changes.up));
  if (changes.mtu !== undefined) attrs.push(attr.u32(IFLA_MTU, changes.mtu));
  if (changes.alias !== undefined) attrs.push(attr.string(IFLA_IFALIAS, changes.alias ?? ""));
  if (changes.master !== undefined) {
    const master = changes.master === null
      ? 0
      : requireIndex(namespace, changes.master, resolve, action);
    attrs.push(attr.u32(IFLA_MASTER, master));
  }
  if (changes.ipvlan !== undefined) {
    attrs.push(
      attr.nested(IFLA_LINKINFO, [
        attr.string(IFLA_INFO_KIND, "ipvlan"),
        ipvlanData(changes.ipvlan),
      ]),
    );
  } else if (changes.macvlanMode !== undefined) {
    attrs.push(
      attr.nested(IFLA_LINKINFO, [
        attr.string(IFLA_INFO_KIND, "macvlan"),
        macvlanData(changes.macvlanMode),
      ]),
    );
  }
  return { type: RTM_NEWLINK, flags: 0, header, attrs, action };
}

/** `link.delete`: `RTM_DELLINK` by ifindex (by name when the cache does not know it). */
export function deleteLink(namespace: string, name: string, resolve: Resolver): Request {
  const action = `Cannot delete link "${name}" in namespace "${namespace}"`;
  const { header, attrs } = selectLink(namespace, name, resolve);
  return { type: RTM_DELLINK, flags: 0, header, attrs, action };
}

// -------------------------------------------------------------------------------- addresses

/** A parsed IP address. */
export interface Ip {
  family: typeof AF_INET | typeof AF_INET6;
  bytes: Uint8Array;
}

/** Parses a bare IPv4/IPv6 address; `undefined` when it is not one. */
export function parseIp(text: string): Ip | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { family: AF_INET, bytes: Uint8Array.from(ipaddr.IPv4.parse(text).toByteArray()) };
  }
  if (text.includes(":") && !text.includes("%") && ipaddr.IPv6.isValid(text)) {
    return { family: AF_INET6, bytes: Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray()) };
  }
  return undefined;
}

/** Parses `address/prefix`; `undefined` when it is not one. */
export function parseCidr(text: string): (Ip & { prefix: number }) | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > ip.bytes.length * 8) return undefined;
  return { ...ip, prefix };
}

/** iproute2's `brd +`: the address with every host bit set (IPv4, prefix up to /30). */
export function broadcastOf(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let bit = prefix; bit < 32; bit++) out[bit >> 3]! |= 0x80 >> (bit & 7);
  return out;
}

type AddressOp = Extract<Operation, { op: "address.add" | "address.delete" }>;

/**
 * `address.add`: `RTM_NEWADDR` with `NLM_F_CREATE|NLM_F_EXCL` (`NLM_F_CREATE|NLM_F_REPLACE`
 * when `replace`), IFA_LOCAL = IFA_ADDRESS, IFA_PROTO, scope host for 127/8, and the IPv4
 * broadcast. `address.delete`: `RTM_DELADDR` with the address and prefix length.
 */
export function addressRequest(op: AddressOp, resolve: Resolver): Request {
  const add = op.op === "address.add";
  const action = add
    ? `Cannot add address "${op.cidr}" to link "${op.link}" in namespace "${op.namespace}"`
    : `Cannot delete address "${op.cidr}" from link "${op.link}" in namespace "${op.namespace}"`;
  const cidr = parseCidr(op.cidr);
  if (cidr === undefined) throw new KernelError("EINVAL", action, `Invalid address "${op.cidr}"`);
  const index = requireIndex(op.namespace, op.link, resolve, action);
  const v4 = cidr.family === AF_INET;
  const scope = v4 && cidr.bytes[0] === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
  const attrs: Attr[] = [
    attr.bytes(IFA_LOCAL, cidr.bytes),
    attr.bytes(IFA_ADDRESS, cidr.bytes),
  ];
  if (add) {
    if (v4 && cidr.prefix <= 30) {
      attrs.push(attr.bytes(IFA_BROADCAST, broadcastOf(cidr.bytes, cidr.prefix)));
    }
    attrs.push(attr.u8(IFA_PROTO, op.protocol));
  }
  return {
    type: add ? RTM_NEWADDR : RTM_DELADDR,
    flags: add ? (op.replace ? NLM_F_CREATE | NLM_F_REPLACE : CREATE) : 0,
    header: ifaddrmsg({ family: cidr.family, prefixlen: cidr.prefix, scope, index }),
    attrs,
    action,
  };
}

// ----------------------------------------------------------------------------------- routes

/** The scope the kernel's tools give a route that names none (`rtnl_route_guess_scope`). */
export function guessScope(route: Route): RouteScope {
  if (route.type !== "unicast") return "universe";
  return route.via === undefined ? "link" : "universe";
}

type RouteOp = Extract<Operation, { op: "route.add" | "route.delete" }>;

/**
 * `route.add`: `RTM_NEWROUTE` (`NLM_F_CREATE` with `NLM_F_EXCL`, or `NLM_F_REPLACE`).
 * `route.delete`: `RTM_DELROUTE` with protocol 0 and scope NOWHERE, which match any protocol
 * and scope, so kernel and boot routes can be deleted too.
 */
export function routeRequest(op: RouteOp, resolve: Resolver): Request {
  const add = op.op === "route.add";
  const route = op.route;
  const action = `Cannot ${
    add ? "add" : "delete"
  } route "${route.to}" in namespace "${op.namespace}"`;
  const dst = parseCidr(route.to);
  if (dst === undefined) {
    throw new KernelError("EINVAL", action, `Invalid destination "${route.to}"`);
  }
  const attrs: Attr[] = [attr.u32(RTA_TABLE, route.table)];
  if (dst.prefix > 0) attrs.push(attr.bytes(RTA_DST, dst.bytes));
  if (route.via !== undefined) {
    const gw = parseIp(route.via);
    if (gw === undefined || gw.family !== dst.family) {
      throw new KernelError("EINVAL", action, `Invalid gateway "${route.via}"`);
    }
    attrs.push(attr.bytes(RTA_GATEWAY, gw.bytes));
  }
  if (route.dev !== undefined) {
    attrs.push(attr.u32(RTA_OIF, requireIndex(op.namespace, route.dev, resolve, action)));
  }
  if (route.metric > 0) attrs.push(attr.u32(RTA_PRIORITY, route.metric));
  if (add && route.src !== undefined) {
    const src = parseIp(route.src);
    if (src === undefined || src.family !== dst.family) {
      throw new KernelError("EINVAL", action, `Invalid source "${route.src}"`);
    }
    attrs.push(attr.bytes(RTA_PREFSRC, src.bytes));
  }
  const header = rtmsg({
    family: dst.family,
    dstLen: dst.prefix,
    table: route.table < 256 ? route.table : RT_TABLE_UNSPEC,
    protocol: add ? route.protocol : 0,
    scope: add ? ROUTE_SCOPE_VALUE[route.scope ?? guessScope(route)] : RT_SCOPE_NOWHERE,
    type: ROUTE_TYPE_VALUE[route.type],
  });
  return {
    type: add ? RTM_NEWROUTE : RTM_DELROUTE,
    flags: add ? NLM_F_CREATE | (op.replace ? NLM_F_REPLACE : NLM_F_EXCL) : 0,
    header,
    attrs,
    action,
  };
}
