/**
 * Helpers shared by the guest suites (they run INSIDE the QEMU guest; see vm/run.ts): shell
 * witnesses (`ip`, busybox ping and nc), ipvlan topologies, and `Pair`, which drives the live
 * kernel and a fresh simulator with the same plans and compares what they end in.
 *
 * @module
 */
import assert from "node:assert/strict";
import { applyPlan } from "../../../src/apply/apply.ts";
import { openDriver } from "../../../src/drivers/open.ts";
import { SimDriver } from "../../../src/drivers/sim/driver.ts";
import { kernelFromHostState } from "../../../src/drivers/sim/from_state.ts";
import type { Driver } from "../../../src/drivers/driver.ts";
import { validateManifestValue } from "../../../src/manifest/load.ts";
import type { HostState, IpvlanPort, Topology } from "../../../src/model/state.ts";
import type { Plan } from "../../../src/plan/plan.ts";
import { plan, planDestroy } from "../../../src/plan/planner.ts";
import { onlyPrefixed, removeNamespaces, uniquePrefix } from "../../live/_unique.ts";

const decoder = new TextDecoder();
/** Notes for the host (e.g. simulator/kernel differences that are not failures). */
const NOTES = Deno.env.get("NETFORM_VM_NOTES");

export async function note(text: string): Promise<void> {
  console.log(`NOTE: ${text}`);
  if (NOTES) await Deno.writeTextFile(NOTES, text + "\n", { append: true });
}

export async function sh(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * `busybox ping` from namespace `ns` to `ip`; true when a reply came back (a few tries, each
 * waiting `waitSeconds`: where no reply is expected, one short try keeps the suite fast).
 */
export async function ping(ns: string, ip: string, tries = 1, waitSeconds = 2): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const r = await sh("ip", [
      "netns",
      "exec",
      ns,
      "busybox",
      "ping",
      "-c",
      "1",
      "-W",
      String(waitSeconds),
      ip,
    ]);
    if (r.code === 0) return true;
  }
  return false;
}

/** Runs `cmd args` inside namespace `ns` ("root" is the guest's own). */
export function inNs(
  ns: string,
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return ns === "root" ? sh(cmd, args) : sh("ip", ["netns", "exec", ns, cmd, ...args]);
}

/** Runs a command that must succeed (test setup with `ip`, `sysctl`, `nft`). */
export async function must(ns: string, cmd: string, args: string[]): Promise<string> {
  const r = await inNs(ns, cmd, args);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} in ${ns} failed (${r.code}): ${r.stderr}`);
  }
  return r.stdout;
}

export interface PingResult {
  /** Source addresses of the replies (a broadcast can be answered by several). */
  from: string[];
  /** TTL of the first reply: 64 straight from a Linux neighbour, one less per router. */
  ttl?: number;
  output: string;
}

/** `busybox ping -c count` from `ns`; reports who answered (busybox sets SO_BROADCAST itself). */
export async function pingReplies(
  ns: string,
  ip: string,
  count = 1,
  options: { iface?: string } = {},
): Promise<PingResult> {
  // -I: a multicast destination needs no route when the socket is bound to a device.
  const via = options.iface ? ["-I", options.iface] : [];
  const r = await inNs(ns, "busybox", ["ping", "-c", String(count), "-W", "2", ...via, ip]);
  const replies = [...r.stdout.matchAll(/bytes from ([0-9.]+): seq=\d+ ttl=(\d+)/g)];
  const ttl = replies[0]?.[2];
  return {
    from: [...new Set(replies.map((m) => m[1]!))],
    ...(ttl !== undefined ? { ttl: Number(ttl) } : {}),
    output: r.stdout + r.stderr,
  };
}

/** `ip -j -d link show name` in `ns`. */
export async function ipLink(
  ns: string,
  name: string,
): Promise<
  { flags: string[]; address: string; linkinfo?: { info_data?: Record<string, unknown> } }
> {
  return JSON.parse(await must(ns, "ip", ["-j", "-d", "link", "show", name]))[0];
}

/** The neighbour entries of `ns` (`ip -j neigh`), e.g. to see ARP at work. */
export async function neighbours(
  ns: string,
): Promise<{ dst: string; dev: string; lladdr?: string; state: string[] }[]> {
  return JSON.parse(await must(ns, "ip", ["-j", "neigh", "show"]) || "[]");
}

/** Sets a sysctl inside `ns` (per namespace: net.ipv4.*). */
export async function sysctl(ns: string, key: string, value: string): Promise<void> {
  await must(ns, "sysctl", ["-q", "-w", `${key}=${value}`]);
}

/** A TCP connection from `fromNs` to `ip:port` served in `toNs` (busybox nc); returns what the server got. */
export async function tcp(fromNs: string, toNs: string, ip: string, port: number): Promise<string> {
  const server = new Deno.Command("ip", {
    args: ["netns", "exec", toNs, "busybox", "nc", "-l", "-p", String(port)],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const received = new Response(server.stdout).text();
  const serverErr = new Response(server.stderr).text();
  try {
    let sent = false;
    for (let i = 0; i < 20 && !sent; i++) {
      const client = new Deno.Command("sh", {
        args: [
          "-c",
          `echo hello-from-${fromNs} | ip netns exec ${fromNs} busybox nc -w 3 ${ip} ${port}`,
        ],
        stdout: "piped",
        stderr: "piped",
      });
      const r = await client.output();
      sent = r.code === 0;
      if (!sent) await new Promise((done) => setTimeout(done, 250));
    }
    if (!sent) throw new Error(`nc from ${fromNs} to ${ip}:${port} never connected`);
    const timer = setTimeout(() => {
      try {
        server.kill("SIGKILL");
      } catch { /* gone */ }
    }, 10_000);
    await server.status;
    clearTimeout(timer);
    await serverErr;
    return await received;
  } finally {
    try {
      server.kill("SIGKILL");
    } catch { /* already exited */ }
    await server.status;
  }
}

export interface Slave {
  ns: string;
  name: string;
  address: string;
}

/** A topology: a dummy `d0` in root with `port`, and one slave per namespace. */
export function ipvlanTopology(prefix: string, port: IpvlanPort, slaves: Slave[]): Topology {
  const namespaces: Record<string, unknown> = {
    root: { links: { d0: { kind: "dummy", ipvlan: port } } },
  };
  for (const s of slaves) {
    namespaces[prefix + s.ns] = {
      links: {
        lo: { kind: "loopback" },
        [s.name]: { kind: "ipvlan", parent: "root/d0", addresses: [s.address] },
      },
    };
  }
  return validateManifestValue("vm-scenario", { name: `${prefix}ipvl`, namespaces });
}

export const TWO: Slave[] = [
  { ns: "ns1", name: "ipvl1", address: "10.9.0.1/24" },
  { ns: "ns2", name: "ipvl2", address: "10.9.0.2/24" },
];

/** What the kernel and the simulator must agree on: the test namespaces and the master's port. */
export function comparable(state: HostState, prefix: string): unknown {
  return {
    namespaces: onlyPrefixed(state, prefix).namespaces,
    d0ipvlan: state.namespaces["root"]?.links["d0"]?.ipvlan,
  };
}

export interface PairOptions {
  /**
   * What the kernel and the simulator must agree on; default: the prefixed namespaces and the
   * port of `d0` ({@linkcode comparable}).
   */
  view?: (state: HostState, prefix: string) => unknown;
  /** Links in the guest's root namespace that `destroy` removes with `ip` if they are left. */
  rootLinks?: string[];
}

/** The live kernel and a fresh simulator, driven with the same plans. */
export class Pair {
  live!: Driver;
  sim!: SimDriver;
  readonly view: (state: HostState, prefix: string) => unknown;
  readonly rootLinks: string[];
  constructor(readonly prefix: string, options: PairOptions = {}) {
    this.view = options.view ?? comparable;
    this.rootLinks = options.rootLinks ?? ["d0"];
  }

  static async open(tag: string, options: PairOptions = {}): Promise<Pair> {
    const p = new Pair(uniquePrefix(tag), options);
    p.live = await openDriver("live");
    p.sim = await SimDriver.open();
    return p;
  }

  /**
   * Restarts the simulator as a copy of what the live kernel holds now, for scenarios that first
   * make with `ip` what a host would already have (an `existing` eth0, the far side of a LAN).
   */
  async seedSimFromLive(): Promise<void> {
    this.sim = new SimDriver(kernelFromHostState(await this.live.observe()));
  }

  /** Plans against the live kernel, applies to both, and checks they end in the same state. */
  async apply(desired: Topology): Promise<Plan> {
    const first = plan(desired, await this.live.observe());
    await applyPlan(first, this.live);
    assert.equal(plan(desired, await this.live.observe()).changes.length, 0, "converged");
    await applyPlan(first, this.sim);
    await this.assertSame();
    return first;
  }

  async assertSame(): Promise<void> {
    assert.deepEqual(
      this.view(await this.live.observe(), this.prefix),
      this.view(await this.sim.observe(), this.prefix),
      "the simulator and the live kernel end in the same observed state",
    );
  }

  async destroy(name: string): Promise<void> {
    try {
      await applyPlan(planDestroy(name, await this.live.observe()), this.live);
    } finally {
      this.live.close?.();
      await removeNamespaces(this.prefix);
      // If the destroy failed part-way.
      for (const link of this.rootLinks) await sh("ip", ["link", "del", link]);
    }
  }
}
