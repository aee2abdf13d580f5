/**
 * Text rendering of a host state for `show`.
 *
 * @module
 */
import type { HostState } from "../model/state.ts";
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
    lines.push(`namespace ${namespace}`);
    for (const name of Object.keys(ns.links).sort()) {
      const link = ns.links[name]!;
      const attrs = Object.entries(linkAttributes(link)).map(([k, v]) => `${k}=${formatValue(v)}`)
        .join(" ");
      lines.push(`  link ${name} ${attrs}`);
      for (const a of link.addresses) lines.push(`    address ${a.cidr} protocol ${a.protocol}`);
    }
    for (const route of ns.routes) {
      const attrs = Object.entries(routeAttributes(route)).map(([k, v]) => `${k}=${formatValue(v)}`)
        .join(" ");
      lines.push(`  route ${attrs} protocol=${route.protocol}`);
    }
  }
  return lines.join("\n");
}
