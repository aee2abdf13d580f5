/**
 * Link checks: references (parent, peer, master) and the kernel's stacking
 * rules for them, ipvlan port settings, and MTU limits between a macvlan and
 * its parent. Each rule names the errno the kernel would answer with, so the
 * user learns it before anything is changed.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import type { LinkRef } from "../model/state.ts";
import { formatReference, resolveReference } from "./reference.ts";
import {
  type DeclaredLink,
  declaredLinks,
  findLink,
  linkKey,
  slavesByParent,
} from "./relations.ts";
import { formatPath } from "./schema_issues.ts";
import type { IpvlanLinkInput, LinkInput, MacvlanLinkInput, TopologyInput } from "./topology.ts";

/** Checks the links of a schema-valid manifest. */
export function checkLinks(input: TopologyInput): ManifestIssue[] {
  const ipvlanSlaves = slavesByParent(input, "ipvlan");
  const macvlanSlaves = slavesByParent(input, "macvlan");
  const issues: ManifestIssue[] = [];
  for (const declared of declaredLinks(input)) {
    const { link } = declared;
    if (link.master !== undefined) issues.push(...checkMaster(input, declared, link.master));
    if (link.kind === "ipvlan" || link.kind === "macvlan") {
      issues.push(...checkParent(input, declared, link, { ipvlanSlaves, macvlanSlaves }));
    }
    if (link.kind === "veth") issues.push(...checkPeer(input, declared, link.peer));
    if (link.ipvlan !== undefined && !ipvlanSlaves.has(linkKey(declared))) {
      issues.push({
        path: pathOf(declared, "ipvlan"),
        message: `"${declared.name}" has ipvlan settings but is not the parent of any ipvlan link`,
        hint:
          "ipvlan mode and flags belong on the parent of ipvlan links: move them there or remove them",
      });
    }
  }
  return issues;
}

interface Ports {
  ipvlanSlaves: Map<string, DeclaredLink[]>;
  macvlanSlaves: Map<string, DeclaredLink[]>;
}

function pathOf(declared: DeclaredLink, key: string): string {
  return formatPath(["namespaces", declared.namespace, "links", declared.name, key]);
}

/**
 * Resolves a reference and checks that it names a declared link other than
 * the referring one; returns the issue otherwise.
 */
function resolveDeclared(
  input: TopologyInput,
  declared: DeclaredLink,
  key: "parent" | "peer",
  reference: string,
): { ref: LinkRef; link: LinkInput } | ManifestIssue {
  const path = pathOf(declared, key);
  const ref = resolveReference(reference, declared.namespace);
  if (!ref) {
    return {
      path,
      message: `${capital(key)} "${reference}" is not a link reference`,
      hint: `write "eth0" for a link in the same namespace or "root/eth0" for one in another`,
    };
  }
  if (!Object.hasOwn(input.namespaces, ref.namespace) && ref.namespace !== "root") {
    return {
      path,
      message: `${
        capital(key)
      } "${reference}" is in namespace "${ref.namespace}", which is not declared`,
      hint: `declare namespaces.${ref.namespace}, or fix the namespace name`,
    };
  }
  const link = findLink(input, ref);
  if (!link) {
    return {
      path,
      message: `${capital(key)} "${formatReference(ref)}" is not declared`,
      hint:
        `declare it under namespaces.${ref.namespace}.links (as kind "existing" if it is a NIC)`,
    };
  }
  if (ref.namespace === declared.namespace && ref.name === declared.name) {
    return {
      path,
      message: `"${declared.name}" names itself as its ${key}`,
      hint: `name another link as the ${key}`,
    };
  }
  return { ref, link };
}

function checkParent(
  input: TopologyInput,
  declared: DeclaredLink,
  slave: IpvlanLinkInput | MacvlanLinkInput,
  ports: Ports,
): ManifestIssue[] {
  const resolved = resolveDeclared(input, declared, "parent", slave.parent);
  if ("path" in resolved) return [resolved];
  const { ref, link: parent } = resolved;
  const path = pathOf(declared, "parent");
  const kind = slave.kind;
  const shown = formatReference(ref);
  const issues: ManifestIssue[] = [];
  if (parent.kind === "loopback") {
    issues.push({
      path,
      message: `Parent "${shown}" is a loopback; the kernel refuses a ${kind} on lo (EINVAL)`,
      hint: "use an Ethernet link (a NIC, veth, bridge or dummy) as the parent",
    });
  }
  if (parent.kind === "ipvlan") {
    issues.push({
      path,
      message: `Parent "${shown}" is itself an ipvlan link`,
      hint: kind === "ipvlan"
        ? `name its parent "${parent.parent}" directly (the kernel would use that port anyway)`
        : "the kernel refuses a macvlan on an ipvlan link (EINVAL): use the ipvlan's parent's link instead",
    });
  }
  if (parent.kind === "macvlan" && kind === "macvlan") {
    issues.push({
      path,
      message: `Parent "${shown}" is itself a macvlan link`,
      hint: `name its parent "${parent.parent}" directly (the kernel would use that device anyway)`,
    });
  }
  if (parent.master !== undefined) {
    issues.push({
      path,
      message:
        `Parent "${shown}" is a port of bridge "${parent.master}"; the kernel refuses a ${kind} on a bridge port (EBUSY)`,
      hint:
        `put the ${kind} on the bridge "${parent.master}" instead, or remove the parent from the bridge`,
    });
  }
  // One conflict, one issue: it is reported on whichever of the two links is
  // declared later, naming the earlier one.
  const other = kind === "ipvlan" ? ports.macvlanSlaves : ports.ipvlanSlaves;
  const rival = other.get(linkKey(ref))?.find((r) => r.order < declared.order);
  if (rival) {
    issues.push({
      path,
      message: `Parent "${shown}" is also the parent of ${rival.link.kind} "${
        formatReference(rival)
      }"; a link can carry ipvlan or macvlan links, not both (EBUSY)`,
      hint: "use one kind of link on each parent",
    });
  }
  if (slave.kind === "macvlan") {
    issues.push(...checkMacvlan(declared, slave, ref, parent, ports));
  }
  return issues;
}

function checkMacvlan(
  declared: DeclaredLink,
  slave: MacvlanLinkInput,
  ref: LinkRef,
  parent: LinkInput,
  ports: Ports,
): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const { mtu, mode } = slave;
  if (mtu !== undefined && parent.mtu !== undefined && mtu > parent.mtu) {
    issues.push({
      path: pathOf(declared, "mtu"),
      message: `MTU ${mtu} is larger than the MTU ${parent.mtu} of parent "${
        formatReference(ref)
      }"; the kernel refuses it for a macvlan (EINVAL)`,
      hint: `lower it to ${parent.mtu} or less, or raise the parent's MTU`,
    });
  }
  const siblings = ports.macvlanSlaves.get(linkKey(ref)) ?? [];
  if (mode === "passthru" && siblings.length > 1) {
    issues.push({
      path: pathOf(declared, "mode"),
      message: `A passthru macvlan must be the only macvlan on parent "${
        formatReference(ref)
      }", which has ${siblings.length}`,
      hint: 'use mode "bridge", or give the other macvlans another parent',
    });
  }
  return issues;
}

function checkPeer(
  input: TopologyInput,
  declared: DeclaredLink,
  reference: string,
): ManifestIssue[] {
  const resolved = resolveDeclared(input, declared, "peer", reference);
  if ("path" in resolved) return [resolved];
  const { ref, link: peer } = resolved;
  const path = pathOf(declared, "peer");
  const shown = formatReference(ref);
  if (peer.kind !== "veth") {
    return [{
      path,
      message: `Peer "${shown}" is of kind "${peer.kind}", not "veth"`,
      hint: 'both ends of a veth pair are declared with kind "veth"',
    }];
  }
  const back = resolveReference(peer.peer, ref.namespace);
  // When the peer's own reference is broken, that is reported on the peer.
  const backLink = back ? findLink(input, back) : undefined;
  if (
    !back || backLink?.kind !== "veth" ||
    (back.namespace === ref.namespace && back.name === ref.name)
  ) {
    return [];
  }
  if (back.namespace !== declared.namespace || back.name !== declared.name) {
    const self = ref.namespace === declared.namespace
      ? declared.name
      : `${declared.namespace}/${declared.name}`;
    return [{
      path,
      message: `Peer "${shown}" names "${peer.peer}" as its peer, not "${self}"`,
      hint: `set peer: "${self}" on "${shown}"`,
    }];
  }
  return [];
}

function checkMaster(
  input: TopologyInput,
  declared: DeclaredLink,
  master: string,
): ManifestIssue[] {
  const path = pathOf(declared, "master");
  const links = input.namespaces[declared.namespace]?.links ?? {};
  const hint = `name a link of kind "bridge" declared in namespace "${declared.namespace}"`;
  if (master.includes("/")) {
    return [{ path, message: `Master "${master}" must be a bridge in the same namespace`, hint }];
  }
  if (master === declared.name) {
    return [{ path, message: `"${declared.name}" names itself as its master`, hint }];
  }
  const bridge = Object.hasOwn(links, master) ? links[master] : undefined;
  if (!bridge) {
    return [{
      path,
      message: `Master "${master}" is not declared in namespace "${declared.namespace}"`,
      hint,
    }];
  }
  if (bridge.kind !== "bridge") {
    return [{
      path,
      message: `Master "${master}" is of kind "${bridge.kind}", not "bridge"`,
      hint,
    }];
  }
  const kind = declared.link.kind;
  if (kind === "bridge") {
    return [{
      path,
      message: `Bridge "${declared.name}" cannot be a port of bridge "${master}" (ELOOP)`,
      hint: "connect the bridges with a veth pair instead",
    }];
  }
  if (kind === "ipvlan" || kind === "loopback") {
    return [{
      path,
      message: `A ${kind} link cannot be a bridge port; the kernel refuses it (EINVAL)`,
      hint: "remove master, or use a veth or macvlan link as the bridge port",
    }];
  }
  return [];
}

function capital(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
