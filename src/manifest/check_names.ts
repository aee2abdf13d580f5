/**
 * Name checks: the topology name, namespace names (file names under
 * `/run/netns`) and link names (the kernel's `dev_valid_name`), and the rule
 * that `lo` and only `lo` is a loopback.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import { byteLength, MAX_LINK_NAME_BYTES } from "../model/names.ts";
import { formatPath } from "./schema_issues.ts";
import type { TopologyInput } from "./topology.ts";

/** Longest topology name: it goes into link aliases (IFALIASZ is 256 with the prefix). */
export const MAX_TOPOLOGY_NAME_BYTES = 200;
/** Longest file name on Linux (NAME_MAX). */
export const MAX_NAMESPACE_NAME_BYTES = 255;

/** Checks the names in a schema-valid manifest. */
export function checkNames(input: TopologyInput): ManifestIssue[] {
  const issues: ManifestIssue[] = [...checkTopologyName(input.name)];
  for (const [namespace, ns] of Object.entries(input.namespaces)) {
    issues.push(...checkNamespaceName(namespace));
    for (const [name, link] of Object.entries(ns.links ?? {})) {
      const path = ["namespaces", namespace, "links", name];
      issues.push(...checkLinkName(name, path));
      if (name === "lo" && link.kind !== "loopback") {
        issues.push({
          path: formatPath([...path, "kind"]),
          message: `Link "lo" must be of kind "loopback", not "${link.kind}"`,
          hint: `write lo: { kind: "loopback" }`,
        });
      } else if (name !== "lo" && link.kind === "loopback") {
        issues.push({
          path: formatPath([...path, "kind"]),
          message: `Only "lo" can be of kind "loopback", not "${name}"`,
          hint: `use kind "dummy" for a loopback-like link of your own`,
        });
      }
    }
  }
  return issues;
}

function checkTopologyName(name: string): ManifestIssue[] {
  const hint = "use 1 to 200 letters, digits, '.', '_' or '-', such as \"web-host\"";
  if (name === "") return [{ path: "name", message: "Topology name is empty", hint }];
  if (byteLength(name) > MAX_TOPOLOGY_NAME_BYTES) {
    return [{
      path: "name",
      message: `Topology name is ${
        byteLength(name)
      } bytes long, more than ${MAX_TOPOLOGY_NAME_BYTES}`,
      hint,
    }];
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return [{
      path: "name",
      message:
        `Topology name "${name}" contains characters other than letters, digits, ".", "_" and "-"`,
      hint,
    }];
  }
  return [];
}

function checkNamespaceName(namespace: string): ManifestIssue[] {
  const path = formatPath(["namespaces", namespace]);
  const hint = 'namespaces are files under /run/netns: use a plain file name such as "ns1"';
  let problem: string | undefined;
  if (namespace === "") problem = "Namespace name is empty";
  else if (namespace === "." || namespace === "..") {
    problem = `Namespace name "${namespace}" is not a valid file name`;
  } else if (namespace.includes("/")) problem = `Namespace name "${namespace}" contains "/"`;
  else if (namespace.includes("\0")) problem = `Namespace name "${namespace}" contains a NUL byte`;
  else if (byteLength(namespace) > MAX_NAMESPACE_NAME_BYTES) {
    problem = `Namespace name is ${
      byteLength(namespace)
    } bytes long, more than ${MAX_NAMESPACE_NAME_BYTES}`;
  }
  return problem ? [{ path, message: problem, hint }] : [];
}

function checkLinkName(name: string, path: string[]): ManifestIssue[] {
  const hint = `use 1 to ${MAX_LINK_NAME_BYTES} bytes without "/", ":" or spaces, such as "ipvl0"`;
  let problem: string | undefined;
  // The same rules as the kernel's dev_valid_name(), which refuses them with EINVAL.
  if (name === "") problem = "Link name is empty";
  else if (byteLength(name) > MAX_LINK_NAME_BYTES) {
    problem = `Link name "${name}" is ${
      byteLength(name)
    } bytes long, more than ${MAX_LINK_NAME_BYTES}`;
  } else if (name === "." || name === "..") problem = `Link name "${name}" is not allowed`;
  else if (/[/:\s]/.test(name)) {
    problem = `Link name "${name}" contains "/", ":" or whitespace`;
  }
  return problem ? [{ path: formatPath(path), message: problem, hint }] : [];
}
