/**
 * Name checks: the topology name, namespace names (file names under
 * `/run/netns`), link names (the kernel's `dev_valid_name`, and no `%`), the
 * rule that `lo` and only `lo` is a loopback, and one rule for every string a
 * manifest holds: no character a terminal would interpret.
 *
 * What the kernel and iproute2 accept, tried on this host (kernel 6.18,
 * iproute2 6.1): `ip netns add` takes any file name, ESC, newline, U+202E and
 * invalid UTF-8 included; an interface name may hold ESC, DEL, C1 controls and
 * U+202E (the kernel refuses only `/`, `:`, its `isspace()` bytes and a `%`
 * other than one `%d`, which it expands); an alias (IFLA_IFALIAS) may hold
 * anything. netform refuses in a manifest what a terminal would interpret
 * (see `findUnsafeCharacter`), so no name it creates can spoof its own output,
 * and escapes every name it prints, so names others created cannot either.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import {
  byteLength,
  codePointLabel,
  describeUnsafeCharacter,
  findUnsafeCharacter,
  hasNameTemplate,
  kernelNameProblem,
  MAX_LINK_NAME_BYTES,
  PRINTABLE_HINT,
  quote,
} from "../model/names.ts";
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
          message: `Only "lo" can be of kind "loopback", not ${quote(name)}`,
          hint: `use kind "dummy" for a loopback-like link of your own`,
        });
      }
    }
  }
  issues.push(...checkOtherStrings(input));
  return issues;
}

/** ` contains U+001B (escape), a control character`, or undefined for a printable string. */
function unsafeClause(text: string): string | undefined {
  const unsafe = findUnsafeCharacter(text);
  return unsafe && ` contains ${describeUnsafeCharacter(unsafe.codePoint)}`;
}

function checkTopologyName(name: string): ManifestIssue[] {
  const hint = "use 1 to 200 letters, digits, '.', '_' or '-', such as \"web-host\"";
  const issue = (message: string) => [{ path: "name", message, hint }];
  if (name === "") return issue("Topology name is empty");
  const unsafe = unsafeClause(name);
  if (unsafe) return issue(`Topology name ${quote(name)}${unsafe}`);
  if (byteLength(name) > MAX_TOPOLOGY_NAME_BYTES) {
    return issue(
      `Topology name is ${byteLength(name)} bytes long, more than ${MAX_TOPOLOGY_NAME_BYTES}`,
    );
  }
  const other = /[^A-Za-z0-9._-]/u.exec(name)?.[0];
  if (other !== undefined) {
    return issue(
      `Topology name ${
        quote(name)
      } contains characters other than letters, digits, ".", "_" and "-": ${quote(other)} (${
        codePointLabel(other.codePointAt(0)!)
      })`,
    );
  }
  return [];
}

function checkNamespaceName(namespace: string): ManifestIssue[] {
  const path = formatPath(["namespaces", namespace]);
  const plain = 'namespaces are files under /run/netns: use a plain file name such as "ns1"';
  const issue = (message: string, hint = plain) => [{ path, message, hint }];
  if (namespace === "") return issue("Namespace name is empty");
  const unsafe = unsafeClause(namespace);
  if (unsafe) {
    return issue(`Namespace name ${quote(namespace)}${unsafe}`, `${plain}; ${PRINTABLE_HINT}`);
  }
  if (namespace === "." || namespace === "..") {
    return issue(`Namespace name ${quote(namespace)} is not a valid file name`);
  }
  if (namespace.includes("/")) return issue(`Namespace name ${quote(namespace)} contains "/"`);
  if (byteLength(namespace) > MAX_NAMESPACE_NAME_BYTES) {
    return issue(
      `Namespace name is ${
        byteLength(namespace)
      } bytes long, more than ${MAX_NAMESPACE_NAME_BYTES}`,
    );
  }
  return [];
}

function checkLinkName(name: string, path: string[]): ManifestIssue[] {
  const hint =
    `use 1 to ${MAX_LINK_NAME_BYTES} bytes without "/", ":", "%", spaces or control characters, such as "ipvl0"`;
  const issue = (message: string, hintText = hint) => [
    { path: formatPath(path), message, hint: hintText },
  ];
  const unsafe = name === "" ? undefined : unsafeClause(name);
  if (unsafe) return issue(`Link name ${quote(name)}${unsafe}`, `${hint}; ${PRINTABLE_HINT}`);
  const kernel = kernelNameProblem(name);
  switch (kernel?.problem) {
    case undefined:
      break;
    case "empty":
      return issue("Link name is empty");
    case "too long":
      return issue(
        `Link name ${quote(name)} is ${kernel.bytes} bytes long, more than ${MAX_LINK_NAME_BYTES}`,
      );
    case "dot":
      return issue(`Link name ${quote(name)} is not allowed`);
    case "separator":
      return issue(`Link name ${quote(name)} contains "/", ":" or whitespace`);
    case "space":
      return issue(
        kernel.char === " "
          ? `Link name ${quote(name)} contains "/", ":" or whitespace`
          : `Link name ${quote(name)} contains ${quote(kernel.char)} (${
            codePointLabel(kernel.char.codePointAt(0)!)
          }), whose UTF-8 encoding has the byte 0xA0, which the kernel counts as a space`,
      );
  }
  if (hasNameTemplate(name)) {
    return issue(
      `Link name ${quote(name)} contains "%": the kernel reads such a name as a template ` +
        `(a "%d" becomes the lowest free number, so "eth%d" is created as "eth0"; any other "%" ` +
        `is refused)`,
    );
  }
  return [];
}

/** How a string field is called in a message, by its key. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  master: "Master",
  parent: "Parent",
  peer: "Peer",
  dev: "Route device",
  to: "Route destination",
  via: "Gateway",
  src: "Source address",
  addresses: "Address",
};

/**
 * Every other string in the manifest (references, addresses, route fields)
 * under the same rule: these reach the terminal in error messages. Names (the
 * keys of `namespaces` and `links`, and `name`) are checked above.
 */
function checkOtherStrings(input: TopologyInput): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const visit = (value: unknown, path: (string | number)[], field: string) => {
    if (typeof value === "string") {
      const unsafe = unsafeClause(value);
      if (unsafe) {
        issues.push({
          path: formatPath(path),
          message: `${FIELD_LABELS[field] ?? "Value"} ${quote(value)}${unsafe}`,
          hint: PRINTABLE_HINT,
        });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, i], field));
    } else if (typeof value === "object" && value !== null) {
      for (const [key, v] of Object.entries(value)) visit(v, [...path, key], key);
    }
  };
  for (const [namespace, ns] of Object.entries(input.namespaces)) {
    visit(ns, ["namespaces", namespace], "");
  }
  return issues;
}
