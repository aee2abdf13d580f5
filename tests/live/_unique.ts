/**
 * Test helpers for the live kernel: topologies moved into uniquely named
 * namespaces, so tests never collide with each other or with the host.
 */
import type { HostState, Link, Topology } from "../../src/model/state.ts";
import { ROOT_NAMESPACE } from "../../src/model/names.ts";

export function uniquePrefix(tag: string): string {
  return `${tag}${crypto.randomUUID().slice(0, 6)}-`;
}

/** `topology` with every named namespace renamed `prefix + name` and references updated. */
export function inUniqueNamespaces(topology: Topology, prefix: string): Topology {
  const rename = (ns: string) => (ns === ROOT_NAMESPACE ? ns : prefix + ns);
  const namespaces: Topology["namespaces"] = {};
  for (const [name, ns] of Object.entries(topology.namespaces)) {
    const links: Record<string, Link> = {};
    for (const [linkName, link] of Object.entries(ns.links)) {
      const copy = structuredClone(link);
      if (copy.kind === "ipvlan" || copy.kind === "macvlan") {
        copy.parent.namespace = rename(copy.parent.namespace);
      }
      if (copy.kind === "veth") copy.peer.namespace = rename(copy.peer.namespace);
      links[linkName] = copy;
    }
    namespaces[rename(name)] = { links, routes: structuredClone(ns.routes) };
  }
  const alias = `netform:${prefix}${topology.name}`;
  for (const ns of Object.values(namespaces)) {
    for (const link of Object.values(ns.links)) if (link.alias !== undefined) link.alias = alias;
  }
  return { name: prefix + topology.name, namespaces };
}

/** Only the namespaces whose names start with `prefix`. */
export function onlyPrefixed(state: HostState, prefix: string): HostState {
  return {
    namespaces: Object.fromEntries(
      Object.entries(state.namespaces).filter(([n]) => n.startsWith(prefix)),
    ),
  };
}

/** The host's own view, for the "untouched" check: links, addresses and routes of the root namespace. */
export async function hostSnapshot(): Promise<string> {
  const run = async (args: string[]) => {
    const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
    return new TextDecoder().decode(out.stdout);
  };
  const addr = JSON.parse(await run(["-j", "addr"])) as { addr_info?: Record<string, unknown>[] }[];
  // Lifetimes of dynamic addresses count down on their own.
  for (const l of addr) {
    for (const a of l.addr_info ?? []) {
      delete a.valid_life_time;
      delete a.preferred_life_time;
    }
  }
  return JSON.stringify([
    await run(["-j", "link"]),
    addr,
    await run(["-j", "route", "show", "table", "all"]),
  ]);
}

/** Namespaces (as `ip netns` lists them) that start with `prefix`. */
export async function leftoverNamespaces(prefix: string): Promise<string[]> {
  const out = await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix));
}

/** Deletes every namespace that starts with `prefix` (cleanup after a failure). */
export async function removeNamespaces(prefix: string): Promise<void> {
  for (const ns of await leftoverNamespaces(prefix)) {
    await new Deno.Command("ip", { args: ["netns", "del", ns] }).output();
  }
}
