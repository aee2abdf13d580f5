/**
 * Address checks: syntax, duplicates on one link, the ipvlan port-wide
 * uniqueness rule, and the IPv6 minimum MTU.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import { type Cidr, familyOf, formatIp, parseCidr, parseIp } from "./ip.ts";
import { formatReference } from "./reference.ts";
import { type DeclaredLink, declaredLinks, slavesByParent } from "./relations.ts";
import { formatPath } from "./schema_issues.ts";
import type { TopologyInput } from "./topology.ts";

/** The kernel disables IPv6 on a link whose MTU is below this (IPV6_MIN_MTU). */
const IPV6_MIN_MTU = 1280;

/** Checks the addresses of a schema-valid manifest. */
export function checkAddresses(input: TopologyInput): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  for (const declared of declaredLinks(input)) issues.push(...checkLinkAddresses(declared));
  for (const [parent, slaves] of slavesByParent(input, "ipvlan")) {
    issues.push(...checkIpvlanUniqueness(parent, slaves));
  }
  return issues;
}

function addressPath(declared: DeclaredLink, index: number): string {
  return formatPath(["namespaces", declared.namespace, "links", declared.name, "addresses", index]);
}

function checkLinkAddresses(declared: DeclaredLink): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const seen = new Map<string, number>();
  let ipv6: string | undefined;
  (declared.link.addresses ?? []).forEach((text, index) => {
    const cidr = parseCidr(text);
    if (!cidr) {
      const bare = parseIp(text);
      issues.push({
        path: addressPath(declared, index),
        message: `Address "${text}" is not a CIDR`,
        hint: bare
          ? `add the prefix length, such as "${text}/${familyOf(bare) === 4 ? 24 : 64}"`
          : `write an address with its prefix length, such as "10.0.0.2/24" or "fd00::2/64"`,
      });
      return;
    }
    const ip = formatIp(cidr.ip);
    const first = seen.get(ip);
    if (first !== undefined) {
      issues.push({
        path: addressPath(declared, index),
        message: `Address ${ip} is listed twice on "${declared.name}" (addresses[${first}])`,
        hint: "remove one of them",
      });
    } else seen.set(ip, index);
    if (familyOf(cidr.ip) === 6) ipv6 ??= text;
  });
  const mtu = declared.link.mtu;
  if (ipv6 !== undefined && mtu !== undefined && mtu < IPV6_MIN_MTU) {
    issues.push({
      path: formatPath(["namespaces", declared.namespace, "links", declared.name, "mtu"]),
      message:
        `MTU ${mtu} is below ${IPV6_MIN_MTU}, the IPv6 minimum, but "${declared.name}" has IPv6 address "${ipv6}"`,
      hint: `raise the MTU to ${IPV6_MIN_MTU} or more, or remove the IPv6 addresses`,
    });
  }
  return issues;
}

/**
 * The kernel's `ipvlan_addr_busy()` walks every slave of a port, in every
 * namespace, and refuses an address another slave already has (EADDRINUSE).
 */
function checkIpvlanUniqueness(parent: string, slaves: DeclaredLink[]): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const owner = new Map<string, DeclaredLink>();
  for (const slave of slaves) {
    const mine = new Set<string>();
    (slave.link.addresses ?? []).forEach((text, index) => {
      const cidr: Cidr | undefined = parseCidr(text);
      if (!cidr) return;
      const ip = formatIp(cidr.ip);
      if (mine.has(ip)) return; // reported as a duplicate on one link
      mine.add(ip);
      const first = owner.get(ip);
      if (!first) {
        owner.set(ip, slave);
        return;
      }
      issues.push({
        path: addressPath(slave, index),
        message: `Address ${ip} is already on ipvlan "${
          formatReference(first)
        }" of the same parent "${parent}"; the kernel refuses it: Address already assigned to an ipvlan device (EADDRINUSE)`,
        hint: "give each ipvlan link of one parent its own addresses, even across namespaces",
      });
    });
  }
  return issues;
}
