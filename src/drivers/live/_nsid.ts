/**
 * Which namespace an nsid names. IFLA_LINK_NETNSID is relative to the READER's namespace
 * (kernel-ipvlan-and-libnl.md §2.5), so the same peer namespace has a different nsid in each
 * reader, and IFLA_LINK must never be looked up locally when it is set.
 *
 * How: for a (reader, nsid) pair, dump the links of the namespace behind the nsid through the
 * reader's own socket (`RTM_GETLINK` with `IFLA_TARGET_NETNSID`), and find the observed
 * namespace whose link dump has exactly the same (ifindex, name, MAC) set. MACs of veth,
 * macvlan, bridge and the like are random, so two namespaces only look alike when neither has
 * such a link, and no link can point into a namespace without one.
 *
 * TODO(ffi): the exact way is `RTM_GETNSID` with `NETNSA_FD` = an fd of each candidate
 * namespace (what `ip netns list-id` does). `RouteSocket` can only dump (`NLM_F_DUMP`) or
 * `transact` (acks only, replies dropped), and the nsid dump accepts no `NETNSA_FD`, so that
 * needs a request-with-reply method in `ffi/socket.ts`. Swap `resolve` over when it exists.
 *
 * @module
 */
import { attr, ifinfomsg, IFLA_TARGET_NETNSID, RTM_GETLINK } from "../../../ffi/mod.ts";
import type { RouteSocket } from "../../../ffi/mod.ts";
import { parseLink, type RawLink } from "./_parse.ts";

/** Where an nsid of a reader namespace points. */
export interface NsidTarget {
  /** The observed namespace it names; `undefined` when none matches (e.g. an unnamed one). */
  namespace: string | undefined;
  /** Names of the links in that namespace by ifindex, as the reader sees them. */
  names: ReadonlyMap<number, string>;
}

/** Resolves nsids per reader namespace, with one link dump per distinct (reader, nsid). */
export class NsidResolver {
  readonly #links: ReadonlyMap<string, { links: readonly RawLink[] }>;
  readonly #socketOf: (reader: string) => RouteSocket;
  readonly #cache = new Map<string, NsidTarget>();
  readonly #fingerprints = new Map<string, string>();

  /** `links`: every observed namespace's link dump; `socketOf`: the socket of a reader. */
  constructor(
    links: ReadonlyMap<string, { links: readonly RawLink[] }>,
    socketOf: (reader: string) => RouteSocket,
  ) {
    this.#links = links;
    this.#socketOf = socketOf;
  }

  /** The namespace `nsid` names as seen from `reader`. */
  resolve(reader: string, nsid: number): NsidTarget {
    const key = `${reader}\0${nsid}`;
    let hit = this.#cache.get(key);
    if (hit === undefined) {
      hit = this.#lookup(reader, nsid);
      this.#cache.set(key, hit);
    }
    return hit;
  }

  #lookup(reader: string, nsid: number): NsidTarget {
    let links: RawLink[];
    try {
      links = this.#socketOf(reader)
        .dump(RTM_GETLINK, ifinfomsg(), [attr.s32(IFLA_TARGET_NETNSID, nsid)])
        .map((m) => parseLink(m.payload));
    } catch {
      // The nsid is gone (its namespace was freed between the dumps): nothing to name.
      return { namespace: undefined, names: new Map() };
    }
    const names = new Map(links.map((l) => [l.ifindex, l.name]));
    const wanted = fingerprint(links);
    const matches = [...this.#links.keys()].filter((ns) =>
      ns !== reader && this.#fingerprintOf(ns) === wanted
    );
    return { namespace: matches.length === 1 ? matches[0] : undefined, names };
  }

  #fingerprintOf(ns: string): string {
    let f = this.#fingerprints.get(ns);
    if (f === undefined) {
      f = fingerprint(this.#links.get(ns)?.links ?? []);
      this.#fingerprints.set(ns, f);
    }
    return f;
  }
}

/** A namespace's identity as far as its links show it: sorted (ifindex, name, MAC). */
export function fingerprint(links: readonly RawLink[]): string {
  return links.map((l) => `${l.ifindex} ${l.name} ${l.mac ?? ""}`).sort().join("\n");
}
