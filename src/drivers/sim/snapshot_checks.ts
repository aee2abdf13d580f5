/**
 * Consistency checks of a snapshot that passed its schema: the references
 * between devices and the invariants the simulated kernel relies on, each
 * one a state no kernel can be in. A snapshot is often edited by hand or
 * generated; without these checks a dangling parent or a one-sided veth
 * would surface later as a wrong plan or a crash far from the cause.
 *
 * @module
 */
import { unsupportedKernel } from "../../model/kernel_release.ts";
import {
  byteLength,
  hasNameTemplate,
  kernelNameProblem,
  MAX_LINK_NAME_BYTES,
  quote,
} from "../../model/names.ts";
import { parseCidr, parseIp } from "./ip.ts";
import type { DevRef, SimLink, SimState } from "./types.ts";

/** One inconsistency: where it is (a JSON path as keys) and what is wrong. */
export interface SnapshotIssue {
  path: (string | number)[];
  message: string;
}

/** Every inconsistency in `state`, in document order; empty when there is none. */
export function snapshotIssues(state: SimState): SnapshotIssue[] {
  const issues: SnapshotIssue[] = [];
  const find = (ref: DevRef): SimLink | undefined =>
    state.namespaces[ref.namespace]?.links.find((l) => l.ifindex === ref.ifindex);
  const isRef = (ref: DevRef | undefined, ns: string, link: SimLink): boolean =>
    ref?.namespace === ns && ref.ifindex === link.ifindex;
  const everyLink = Object.entries(state.namespaces).flatMap(([ns, n]) =>
    n.links.map((link) => ({ ns, link }))
  );
  const unsupported = state.kernelRelease === undefined
    ? undefined
    : unsupportedKernel(state.kernelRelease);
  if (unsupported !== undefined) issues.push({ path: ["kernelRelease"], message: unsupported });

  for (const [nsName, ns] of Object.entries(state.namespaces)) {
    const nsPath = ["namespaces", nsName];
    const report = (path: (string | number)[], message: string) =>
      issues.push({ path: [...nsPath, ...path], message });
    const fileName = namespaceFileNameProblem(nsName);
    if (fileName !== undefined) report([], `${quote(nsName)} is not a namespace name: ${fileName}`);
    if (!ns.links.some((l) => l.kind === "loopback" && l.ifindex === 1)) {
      report(
        ["links"],
        `namespace ${quote(nsName)} has no loopback with ifindex 1; every namespace has one`,
      );
    }
    const names = new Map<string, number>();
    const ifindexes = new Map<number, number>();
    ns.links.forEach((link, i) => {
      const at = (key?: string) => key === undefined ? ["links", i] : ["links", i, key];
      const firstName = names.get(link.name);
      if (firstName !== undefined) {
        report(at("name"), `${quote(link.name)} is also the name of links[${firstName}]`);
      } else names.set(link.name, i);
      // A state no kernel can be in: dev_valid_name() refuses the name, or it has a "%", which
      // the kernel always replaces (dev_alloc_name). Control and bidi characters are possible
      // (the kernel accepts ESC or U+202E in a name): the renderer escapes them.
      const kernel = kernelNameProblem(link.name);
      if (kernel !== undefined || hasNameTemplate(link.name)) {
        report(
          at("name"),
          `${
            quote(link.name)
          } is not a kernel interface name (at most ${MAX_LINK_NAME_BYTES} bytes, no "/", ":", "%" or spaces)`,
        );
      }
      const firstIndex = ifindexes.get(link.ifindex);
      if (firstIndex !== undefined) {
        report(
          at("ifindex"),
          `ifindex ${link.ifindex} is also the ifindex of links[${firstIndex}]`,
        );
      } else ifindexes.set(link.ifindex, i);
      if (link.ifindex >= ns.nextIfindex) {
        report(
          at("ifindex"),
          `ifindex ${link.ifindex} is not below the namespace's nextIfindex ${ns.nextIfindex}, so a new link would take it`,
        );
      }
      if (link.kind === "loopback" && link.ifindex !== 1) {
        report(
          at("ifindex"),
          `the loopback ${quote(link.name)} has ifindex ${link.ifindex}, not 1`,
        );
      }

      if (link.master !== undefined) {
        const master = ns.links.find((l) => l.ifindex === link.master);
        if (!master) {
          report(
            at("master"),
            `names ifindex ${link.master}, which no link in ${quote(nsName)} has`,
          );
        } else if (master.kind !== "bridge") {
          report(at("master"), `names ${quote(master.name)}, a ${master.kind}, not a bridge`);
        } else if (master === link) report(at("master"), `${quote(link.name)} names itself`);
      }

      const wantsParent = link.kind === "ipvlan" || link.kind === "macvlan";
      if (wantsParent && link.parent === undefined) {
        report(at(), `the ${link.kind} ${quote(link.name)} has no parent`);
      } else if (!wantsParent && link.parent !== undefined) {
        report(at("parent"), `a ${link.kind} has no parent; only ipvlan and macvlan links do`);
      } else if (link.parent !== undefined) {
        const parent = find(link.parent);
        if (!parent) {
          report(at("parent"), describeMissing(link.parent, state));
        } else if (parent === link) {
          report(at("parent"), `${quote(link.name)} names itself`);
        } else if (link.kind === "ipvlan" && !parent.ipvlanPort) {
          report(
            at("parent"),
            `names ${quote(parent.name)}, which has no ipvlanPort although it carries this ipvlan`,
          );
        }
      }
      if (link.kind === "ipvlan" && link.devId === undefined) {
        report(at(), `the ipvlan ${quote(link.name)} has no devId`);
      } else if (link.kind !== "ipvlan" && link.devId !== undefined) {
        report(at("devId"), `a ${link.kind} has no devId; only ipvlan links do`);
      }
      if (link.kind === "macvlan" && link.macvlanMode === undefined) {
        report(at(), `the macvlan ${quote(link.name)} has no macvlanMode`);
      } else if (link.kind !== "macvlan" && link.macvlanMode !== undefined) {
        report(at("macvlanMode"), `a ${link.kind} has no macvlanMode; only macvlan links do`);
      }
      if (link.ipvlanPort !== undefined) {
        const slaves = everyLink.filter((o) =>
          o.link.kind === "ipvlan" && isRef(o.link.parent, nsName, link)
        );
        if (slaves.length === 0) {
          report(
            at("ipvlanPort"),
            `${
              quote(link.name)
            } has an ipvlan port but no ipvlan link names it as parent (the kernel removes the port with its last slave)`,
          );
        }
      }

      if (link.kind === "veth" && link.peer === undefined) {
        report(at(), `the veth ${quote(link.name)} has no peer`);
      } else if (link.kind !== "veth" && link.peer !== undefined) {
        report(at("peer"), `a ${link.kind} has no peer; only veth links do`);
      } else if (link.peer !== undefined) {
        const peer = find(link.peer);
        if (!peer) report(at("peer"), describeMissing(link.peer, state));
        else if (peer === link) report(at("peer"), `${quote(link.name)} names itself`);
        else if (peer.kind !== "veth") {
          report(at("peer"), `names ${quote(peer.name)}, a ${peer.kind}, not a veth`);
        } else if (!isRef(peer.peer, nsName, link)) {
          report(
            at("peer"),
            `names ${
              quote(`${link.peer.namespace}/${peer.name}`)
            }, whose peer does not point back to ${quote(`${nsName}/${link.name}`)}`,
          );
        }
      }

      const seen = new Map<string, number>();
      link.addresses.forEach((address, j) => {
        const cidr = parseCidr(address.cidr);
        if (!cidr) {
          report(["links", i, "addresses", j, "cidr"], `${quote(address.cidr)} is not a CIDR`);
          return;
        }
        // The kernel's identity: IPv4 by address and prefix length (inet_insert_ifa; lo may
        // carry 127.0.0.1/8 and 127.0.0.1/32), IPv6 by address alone (ipv6_add_addr).
        const key = `${cidr.family}/${cidr.value}` + (cidr.family === 4 ? `/${cidr.prefix}` : "");
        const first = seen.get(key);
        if (first !== undefined) {
          report(
            ["links", i, "addresses", j, "cidr"],
            `${quote(address.cidr)} is also addresses[${first}] of ${quote(link.name)}`,
          );
        } else seen.set(key, j);
      });
    });

    const routes = new Map<string, number>();
    ns.routes.forEach((route, r) => {
      const at = (key?: string) => key === undefined ? ["routes", r] : ["routes", r, key];
      if (!parseCidr(route.to)) report(at("to"), `${quote(route.to)} is not a CIDR`);
      if (route.via !== undefined && !parseIp(route.via)) {
        report(at("via"), `${quote(route.via)} is not an IP address`);
      }
      if (route.dev !== undefined && !names.has(route.dev)) {
        report(at("dev"), `names ${quote(route.dev)}, which is not a link in ${quote(nsName)}`);
      }
      const key = JSON.stringify([
        route.table,
        route.to,
        route.metric,
        route.dev,
        route.via,
        route.type,
        route.protocol,
      ]);
      const first = routes.get(key);
      if (first !== undefined) report(at(), `the same route as routes[${first}]`);
      else routes.set(key, r);
    });
  }
  return issues;
}

function describeMissing(ref: DevRef, state: SimState): string {
  if (!Object.hasOwn(state.namespaces, ref.namespace)) {
    return `names namespace ${quote(ref.namespace)}, which is not in the snapshot`;
  }
  return `names ifindex ${ref.ifindex} in ${quote(ref.namespace)}, which no link there has`;
}

/**
 * Why `name` cannot be a named namespace, which is a file under /run/netns
 * (`ip netns add` takes any file name: ESC, newline and U+202E included, so
 * those are possible and are escaped when printed, not refused here).
 */
function namespaceFileNameProblem(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (name === "." || name === "..") return "it is not a file name";
  if (name.includes("/")) return 'it contains "/"';
  if (name.includes("\0")) return "it contains a NUL byte";
  if (byteLength(name) > 255) return `it is ${byteLength(name)} bytes long, more than 255`;
  return undefined;
}
