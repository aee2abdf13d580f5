/**
 * Text rendering of a host state for `show`: one line per namespace, link,
 * address and route. Names print bare when they are plain (`namespace ns1`,
 * `link eth0`) and quoted otherwise (`namespace "a b"`, `link "x\u001b[8m"`),
 * so a name the host gave cannot start a line of its own or hide the rest.
 *
 * @module
 */
import type { HostState } from "../model/state.ts";
import { findUnsafeCharacter, quote } from "../model/names.ts";
import { linkAttributes } from "../plan/link_rules.ts";
import { routeAttributes } from "../plan/diff_addresses_routes.ts";
import { formatValue } from "../plan/render.ts";

export function renderState(state: HostState): string {
  const lines: string[] = [];
  for (
    const namespace of Object.keys(state.namespaces).sort((
      a,
      b,
    ) => (a === "root" ? -1 : b === "root" ? 1 : a < b ? -1 : 1))
  ) {
    const ns = state.namespaces[namespace]!;
    lines.push(`namespace ${bareOrQuoted(namespace)}`);
    for (const name of Object.keys(ns.links).sort()) {
      const link = ns.links[name]!;
      const attrs = Object.entries(linkAttributes(link))
        .map(([k, v]) => `${bareOrQuoted(k)}=${formatValue(v)}`)
        .join(" ");
      lines.push(`  link ${bareOrQuoted(name)} ${attrs}`);
      for (const a of link.addresses) {
        lines.push(`    address ${bareOrQuoted(a.cidr)} protocol ${a.protocol}`);
      }
    }
    for (const route of ns.routes) {
      const attrs = Object.entries(routeAttributes(route))
        .map(([k, v]) => `${bareOrQuoted(k)}=${formatValue(v)}`)
        .join(" ");
      lines.push(`  route ${attrs} protocol=${route.protocol}`);
    }
  }
  return lines.join("\n");
}

/**
 * `name` as it is when nothing in it could be misread (no space, quote,
 * backslash, `=` or character a terminal would interpret), else quoted.
 */
export function bareOrQuoted(name: string): string {
  const plain = name !== "" && !/[\s"\\=]/u.test(name) && findUnsafeCharacter(name) === undefined;
  return plain ? name : quote(name);
}
