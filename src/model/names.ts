/**
 * Names and markers shared by every layer: the root namespace key, kernel name
 * limits and the ownership markers netform writes on the kernel objects it owns.
 *
 * @module
 */

/** Key of the root (initial) network namespace in a {@linkcode HostState}. */
export const ROOT_NAMESPACE = "root";

/** Longest interface name the kernel accepts (IFNAMSIZ - 1 bytes). */
export const MAX_LINK_NAME_BYTES = 15;

/**
 * Route and address protocol number that marks an object as netform's.
 * Unassigned in iproute2's `rt_protos` (kernel 0-4, bird 12, dhcp 16, babel 42,
 * FRR 186-192); 0x96 is shown by `ip route` as `proto 150`.
 */
export const NETFORM_PROTOCOL = 150;

/** Protocol numbers the kernel itself uses (`rtnetlink.h`). */
export const KERNEL_PROTOCOL = 2;
export const BOOT_PROTOCOL = 3;

/** Prefix of the link alias (IFLA_IFALIAS) that marks a link as owned by a topology. */
export const OWNER_ALIAS_PREFIX = "netform:";

/** The alias netform writes on links (and on `lo` of namespaces) that `topology` owns. */
export function ownerAlias(topology: string): string {
  return `${OWNER_ALIAS_PREFIX}${topology}`;
}

/** The topology named by an ownership alias, or `undefined` for a foreign alias. */
export function ownerOfAlias(alias: string | undefined): string | undefined {
  return alias?.startsWith(OWNER_ALIAS_PREFIX) ? alias.slice(OWNER_ALIAS_PREFIX.length) : undefined;
}

/** Well-known routing table numbers and their names, as `ip route` prints them. */
export const ROUTE_TABLES: Readonly<Record<string, number>> = {
  default: 253,
  main: 254,
  local: 255,
};

/** The display name of a routing table number (`main`, `local`, or the number). */
export function tableName(table: number): string {
  for (const [name, id] of Object.entries(ROUTE_TABLES)) if (id === table) return name;
  return String(table);
}

/** Byte length of a name as the kernel counts it (UTF-8). */
export function byteLength(name: string): number {
  return new TextEncoder().encode(name).length;
}
