/**
 * What netform needs to know about the kernel's version: the oldest it supports, and whether
 * an existing IPv4 address can be marked as owned in place.
 *
 * Address ownership is the address's protocol (IFA_PROTO), which Linux 5.18 added (commit
 * 47f0bd503210, "net: Add new protocol attribute to IP addresses"). From the start an IPv6
 * replace (RTM_NEWADDR with NLM_F_REPLACE, inet6_addr_modify) sets the protocol of an existing
 * address, but an IPv4 replace (inet_rtm_newaddr) kept the old one until Linux 6.4 ("net: ipv4:
 * Allow changing IPv4 address protocol"): on Debian 12's 6.1 a replace with protocol 150 leaves
 * protocol 0, seen in the VM suite. On such a kernel an IPv4 address is adopted by deleting it
 * and adding it again, marked.
 *
 * @module
 */

/** A kernel release's version, from `uname -r` ("6.1.0-28-amd64" → 6.1). */
export interface KernelVersion {
  major: number;
  minor: number;
}

/** The oldest kernel netform supports: the first with an address protocol (IFA_PROTO). */
export const MIN_KERNEL: KernelVersion = { major: 5, minor: 18 };

/** The first kernel whose IPv4 replace sets the address protocol. */
const IPV4_PROTOCOL_ON_REPLACE: KernelVersion = { major: 6, minor: 4 };

/**
 * The release a simulated host without one behaves as: Debian 12's, the kernel the VM suite
 * checks the simulator against.
 */
export const DEFAULT_SIMULATED_RELEASE = "6.1.0";

/** The version at the start of a release string; `undefined` when it does not start `N.N`. */
export function parseRelease(release: string): KernelVersion | undefined {
  const m = release.match(/^(\d{1,4})\.(\d{1,4})(?!\d)/);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

function atLeast(v: KernelVersion, min: KernelVersion): boolean {
  return v.major > min.major || (v.major === min.major && v.minor >= min.minor);
}

/**
 * Why netform cannot work with a kernel of this release, or `undefined` when it can. A
 * release that does not parse is let through: only a number below the minimum is refused.
 */
export function unsupportedKernel(release: string): string | undefined {
  const v = parseRelease(release);
  if (v === undefined || atLeast(v, MIN_KERNEL)) return undefined;
  return `Linux ${release} has no address protocol (IFA_PROTO), which netform marks the ` +
    `addresses it owns with: it needs Linux ${MIN_KERNEL.major}.${MIN_KERNEL.minor} or later`;
}

/**
 * Whether a replace marks an existing IPv4 address on a kernel of this release (`undefined`:
 * a simulated host's default, {@linkcode DEFAULT_SIMULATED_RELEASE}).
 */
export function marksIPv4AddressInPlace(release: string | undefined): boolean {
  const v = parseRelease(release ?? DEFAULT_SIMULATED_RELEASE);
  return v !== undefined && atLeast(v, IPV4_PROTOCOL_ON_REPLACE);
}
