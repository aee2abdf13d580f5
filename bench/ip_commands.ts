/**
 * A plan's steps as `ip` commands: the same kernel operations netform performs, written the way
 * a shell script would. The iproute2 baselines of the benchmark run exactly these, so both
 * sides do the same work.
 *
 * One difference iproute2 6.1 forces: `ip address add` has no `proto`, so the baseline's
 * addresses carry no IFA_PROTO marker (one attribute less per request).
 *
 * @module
 */
import type { Operation } from "../src/model/operations.ts";

/** One `ip` invocation: `ip [-n namespace] args…` (`namespace` null: the root namespace). */
export interface IpCommand {
  namespace: string | null;
  args: string[];
  /** Runs after every command of a lower phase (namespaces, then links, then the rest). */
  phase: number;
}

const PHASE_NAMESPACES = 0;
const PHASE_LINKS = 1;
const PHASE_REST = 2;
const PHASE_LAST = 3;

/** The `ip` commands that perform `op`. Throws for operations the benchmark does not use. */
export function ipCommandsFor(op: Operation): IpCommand[] {
  switch (op.op) {
    case "namespace.create":
      return [{ namespace: null, args: ["netns", "add", op.namespace], phase: PHASE_NAMESPACES }];
    case "namespace.delete":
      return [{ namespace: null, args: ["netns", "del", op.namespace], phase: PHASE_LAST }];
    case "link.update": {
      const c = op.changes;
      const args = ["link", "set", op.name];
      if (c.mtu !== undefined) args.push("mtu", String(c.mtu));
      if (c.alias !== undefined) args.push("alias", c.alias ?? "");
      if (c.master !== undefined) {
        args.push(...(c.master === null ? ["nomaster"] : ["master", c.master]));
      }
      if (c.up !== undefined) args.push(c.up ? "up" : "down");
      if (c.ipvlan !== undefined || c.macvlanMode !== undefined) {
        throw new Error(`The benchmark has no ip command for ${JSON.stringify(op)}`);
      }
      return [{ namespace: op.namespace, args, phase: PHASE_REST }];
    }
    case "link.create": {
      const l = op.link;
      const args = ["link", "add", l.name];
      let socketNs = l.namespace;
      if (l.kind === "macvlan" || l.kind === "ipvlan") {
        if (l.parent === undefined) throw new Error(`link "${l.name}" has no parent`);
        socketNs = l.parent.namespace;
        args.push("link", l.parent.name);
        if (socketNs !== l.namespace) args.push("netns", l.namespace);
      }
      if (l.mtu !== undefined) args.push("mtu", String(l.mtu));
      if (l.up) args.push("up");
      args.push("type", l.kind);
      if (l.kind === "macvlan" && l.macvlanMode) args.push("mode", l.macvlanMode);
      if (l.kind === "ipvlan" && l.ipvlan) args.push("mode", l.ipvlan.mode, l.ipvlan.flags);
      const out: IpCommand[] = [];
      const follow: IpCommand[] = [];
      if (l.kind === "veth") {
        const p = l.peer;
        if (p === undefined) throw new Error(`veth "${l.name}" has no peer`);
        args.push("peer", "name", p.name);
        if (p.namespace !== l.namespace) args.push("netns", p.namespace);
        if (p.mtu !== undefined) args.push("mtu", String(p.mtu));
        const set = ["link", "set", p.name];
        if (p.alias) set.push("alias", p.alias);
        if (p.master) set.push("master", p.master);
        if (p.up) set.push("up");
        if (set.length > 3) follow.push({ namespace: p.namespace, args: set, phase: PHASE_LINKS });
      }
      out.push({ namespace: socketNs, args, phase: PHASE_LINKS });
      const set = ["link", "set", l.name];
      if (l.alias) set.push("alias", l.alias);
      if (l.master) set.push("master", l.master);
      // A link in another namespace than its creator is set up after the link phase.
      if (set.length > 3) {
        out.push({
          namespace: l.namespace,
          args: set,
          phase: socketNs === l.namespace ? PHASE_LINKS : PHASE_REST,
        });
      }
      return [...out, ...follow];
    }
    case "link.delete":
      return [{ namespace: op.namespace, args: ["link", "del", op.name], phase: PHASE_LINKS }];
    case "address.add":
      return [{
        namespace: op.namespace,
        args: ["address", "add", op.cidr, "dev", op.link],
        phase: PHASE_REST,
      }];
    case "address.delete":
      return [{
        namespace: op.namespace,
        args: ["address", "del", op.cidr, "dev", op.link],
        phase: PHASE_REST,
      }];
    case "route.add":
    case "route.delete": {
      const r = op.route;
      const args = ["route", op.op === "route.add" ? "add" : "del", r.to];
      if (r.via !== undefined) args.push("via", r.via);
      if (r.dev !== undefined) args.push("dev", r.dev);
      if (r.metric > 0) args.push("metric", String(r.metric));
      if (r.table !== 254) args.push("table", String(r.table));
      if (op.op === "route.add") args.push("proto", String(r.protocol));
      return [{ namespace: op.namespace, args, phase: PHASE_REST }];
    }
  }
}

/** A file for `ip [-n namespace] -batch FILE`. */
export interface BatchFile {
  namespace: string | null;
  lines: string[];
}

/**
 * The commands grouped into one batch file per namespace and phase, in the order they must
 * run: every namespace first, then the links, then addresses, routes and the rest. Within a
 * file the plan's order is kept.
 */
export function batchFiles(commands: readonly IpCommand[]): BatchFile[] {
  const phases = [...new Set(commands.map((c) => c.phase))].sort((a, b) => a - b);
  const files: BatchFile[] = [];
  for (const phase of phases) {
    const byNs = new Map<string | null, string[]>();
    for (const c of commands) {
      if (c.phase !== phase) continue;
      let lines = byNs.get(c.namespace);
      if (lines === undefined) byNs.set(c.namespace, lines = []);
      lines.push(c.args.map(quote).join(" "));
    }
    for (const [namespace, lines] of byNs) files.push({ namespace, lines });
  }
  return files;
}

/** The commands in the order one `ip` process per command runs them (phase, then plan order). */
export function sequential(commands: readonly IpCommand[]): IpCommand[] {
  return commands.map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.phase - b.c.phase || a.i - b.i)
    .map(({ c }) => c);
}

function quote(arg: string): string {
  return /^[\w.:/@%+-]+$/.test(arg) ? arg : `"${arg.replaceAll(/["\\]/g, "\\$&")}"`;
}
