/**
 * The one model of kernel network state. Desired state (from a manifest) and
 * observed state (from a driver) are both a {@linkcode HostState}, so the planner
 * diffs two values of one type.
 *
 * Optional fields mean "not managed" in desired state; drivers fill every field
 * they observe.
 *
 * @module
 */
import { z } from "zod";

/** ipvlan modes (IFLA_IPVLAN_MODE: l2 = 0, l3 = 1, l3s = 2). */
export const IPVLAN_MODES = ["l2", "l3", "l3s"] as const;
/** ipvlan port flags (IFLA_IPVLAN_FLAGS: bridge = 0, private = 1, vepa = 2). */
export const IPVLAN_FLAGS = ["bridge", "private", "vepa"] as const;
/** macvlan modes (IFLA_MACVLAN_MODE). */
export const MACVLAN_MODES = ["private", "vepa", "bridge", "passthru", "source"] as const;
/** Route types netform manages. */
export const ROUTE_TYPES = ["unicast", "blackhole", "unreachable", "prohibit"] as const;
/** Route scopes (RT_SCOPE_*). */
export const ROUTE_SCOPES = ["universe", "link", "host"] as const;

export type IpvlanMode = typeof IPVLAN_MODES[number];
export type IpvlanFlag = typeof IPVLAN_FLAGS[number];
export type MacvlanMode = typeof MACVLAN_MODES[number];
export type RouteType = typeof ROUTE_TYPES[number];
export type RouteScope = typeof ROUTE_SCOPES[number];

/** A link named by its namespace and name. */
export const LinkRefSchema = z.strictObject({ namespace: z.string(), name: z.string() });
export type LinkRef = z.infer<typeof LinkRefSchema>;

/**
 * Settings the kernel keeps per ipvlan *port* (the master), not per slave: every
 * slave reports them and creating or changing any slave changes them for all.
 */
export const IpvlanPortSchema = z.strictObject({
  mode: z.enum(IPVLAN_MODES),
  flags: z.enum(IPVLAN_FLAGS),
});
export type IpvlanPort = z.infer<typeof IpvlanPortSchema>;

/** An address on a link: a CIDR with the host part kept (`10.0.0.2/24`). */
export const AddressSchema = z.strictObject({
  cidr: z.string(),
  /** IFA_PROTO; {@linkcode NETFORM_PROTOCOL} marks netform's own. */
  protocol: z.number().int().min(0).max(255),
  /**
   * Observed only: an IPv4 secondary (IFA_F_SECONDARY), i.e. not the first address of its
   * subnet and prefix length on the link. Deleting the primary deletes it too.
   */
  secondary: z.literal(true).optional(),
});
export type Address = z.infer<typeof AddressSchema>;

const linkCommon = {
  /** Administrative state (IFF_UP). */
  up: z.boolean().optional(),
  // lo reports 65536; other kinds stop at 65535 (ETH_MAX_MTU).
  mtu: z.number().int().min(68).max(65536).optional(),
  /** Bridge this link is a port of (same namespace). */
  master: z.string().optional(),
  /** IFLA_IFALIAS; carries the ownership marker. */
  alias: z.string().optional(),
  /** Port settings when this link is the master of ipvlan slaves. */
  ipvlan: IpvlanPortSchema.optional(),
  addresses: z.array(AddressSchema),
};

/** A link netform references but never creates or deletes (a NIC such as eth0). */
export const ExistingLinkSchema = z.strictObject({ kind: z.literal("existing"), ...linkCommon });
/** A link of a kind netform does not model (a physical NIC, vxlan, tun, …). */
export const DeviceLinkSchema = z.strictObject({
  kind: z.literal("device"),
  ...linkCommon,
  /** IFLA_INFO_KIND when the kernel reports one. */
  type: z.string().optional(),
});
export const LoopbackLinkSchema = z.strictObject({ kind: z.literal("loopback"), ...linkCommon });
export const DummyLinkSchema = z.strictObject({ kind: z.literal("dummy"), ...linkCommon });
export const BridgeLinkSchema = z.strictObject({ kind: z.literal("bridge"), ...linkCommon });
export const IpvlanLinkSchema = z.strictObject({
  kind: z.literal("ipvlan"),
  ...linkCommon,
  parent: LinkRefSchema,
});
export const MacvlanLinkSchema = z.strictObject({
  kind: z.literal("macvlan"),
  ...linkCommon,
  parent: LinkRefSchema,
  mode: z.enum(MACVLAN_MODES),
});
export const VethLinkSchema = z.strictObject({
  kind: z.literal("veth"),
  ...linkCommon,
  peer: LinkRefSchema,
});

export const LinkSchema = z.discriminatedUnion("kind", [
  ExistingLinkSchema,
  DeviceLinkSchema,
  LoopbackLinkSchema,
  DummyLinkSchema,
  BridgeLinkSchema,
  IpvlanLinkSchema,
  MacvlanLinkSchema,
  VethLinkSchema,
]);
export type Link = z.infer<typeof LinkSchema>;
export type LinkKind = Link["kind"];
/** Kinds netform creates and deletes. */
export type VirtualLinkKind = Exclude<LinkKind, "existing" | "device" | "loopback">;
export type LinkOfKind<K extends LinkKind> = Extract<Link, { kind: K }>;

/**
 * A route. Identity within a namespace is (table, to, metric), as the kernel's.
 * `to` is a normalized CIDR (`0.0.0.0/0` for an IPv4 default route).
 */
export const RouteSchema = z.strictObject({
  to: z.string(),
  type: z.enum(ROUTE_TYPES),
  via: z.string().optional(),
  dev: z.string().optional(),
  scope: z.enum(ROUTE_SCOPES).optional(),
  metric: z.number().int().min(0),
  table: z.number().int().min(1).max(0xffffffff),
  src: z.string().optional(),
  /** RTM protocol; {@linkcode NETFORM_PROTOCOL} marks netform's own. */
  protocol: z.number().int().min(0).max(255),
});
export type Route = z.infer<typeof RouteSchema>;

export const NamespaceSchema = z.strictObject({
  links: z.record(z.string(), LinkSchema),
  routes: z.array(RouteSchema),
});
export type Namespace = z.infer<typeof NamespaceSchema>;

/** Network state of a host: the root namespace (`root`) and every named one. */
export const HostStateSchema = z.strictObject({
  namespaces: z.record(z.string(), NamespaceSchema),
  /**
   * The kernel's release (`uname -r`), where the driver knows it: what the kernel can do
   * decides some steps (see `kernel_release.ts`).
   */
  kernelRelease: z.string().optional(),
});
export type HostState = z.infer<typeof HostStateSchema>;

/** Desired state: a host state plus the name of the topology that owns it. */
export const TopologySchema = z.strictObject({
  name: z.string(),
  namespaces: z.record(z.string(), NamespaceSchema),
});
export type Topology = z.infer<typeof TopologySchema>;
