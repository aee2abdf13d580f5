/**
 * Helpers for the privileged FFI tests: they need root and `-A` (FFI), and run only inside
 * throwaway namespaces named `nftest-<random>`. `ip` is used only as an independent witness.
 *
 * @module
 */

import { createNamespace, deleteNamespace } from "../../ffi/mod.ts";

function granted(name: "ffi" | "run" | "sys" | "write"): boolean {
  return Deno.permissions.querySync({ name }).state === "granted";
}

/** Why the live tests cannot run here, or `undefined` when they can. */
export const skipReason: string | undefined = !granted("ffi") || !granted("run") ||
    !granted("sys") || !granted("write")
  ? "needs -A (FFI)"
  : Deno.uid() !== 0
  ? "needs root"
  : undefined;

/** Test options that skip the live tests where they cannot run. */
export const live = { ignore: skipReason !== undefined } as const;

/** A namespace name nobody else uses. */
export function uniqueName(): string {
  return `nftest-${crypto.randomUUID().slice(0, 8)}`;
}

/** Runs `ip args…` and returns its stdout; throws on failure. */
export function ip(...args: string[]): string {
  const out = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  const text = new TextDecoder();
  if (!out.success) throw new Error(`ip ${args.join(" ")}: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout);
}

/** Runs `ip -j args…` and parses the JSON. */
export function ipJson<T = Record<string, unknown>[]>(...args: string[]): T {
  return JSON.parse(ip("-j", ...args)) as T;
}

/** `{ifname, ifindex}` of every link `ip -n ns -j link` lists, sorted by ifindex. */
export function ipLinks(ns: string): { ifname: string; ifindex: number }[] {
  return ipJson<{ ifname: string; ifindex: number }[]>("-n", ns, "link")
    .map(({ ifname, ifindex }) => ({ ifname, ifindex }))
    .sort((a, b) => a.ifindex - b.ifindex);
}

/** Creates a fresh namespace, runs `fn`, and always deletes the namespace. */
export async function withNamespace(fn: (ns: string) => void | Promise<void>): Promise<void> {
  const ns = uniqueName();
  createNamespace(ns);
  try {
    await fn(ns);
  } finally {
    deleteNamespace(ns);
  }
}

/**
 * The host's links and addresses as `ip -j` prints them. Address lifetimes are dropped: they
 * count down on their own for dynamic addresses.
 */
export function hostState(): string {
  const addrs = ipJson<{ addr_info?: Record<string, unknown>[] }[]>("addr");
  for (const link of addrs) {
    for (const a of link.addr_info ?? []) {
      delete a.valid_life_time;
      delete a.preferred_life_time;
    }
  }
  return JSON.stringify({ links: ipJson("link"), addrs });
}

/** Runs `fn`, which must throw an instance of `cls`, and returns what it threw. */
export function thrown<E extends Error>(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => E,
): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw new Error(`Expected ${cls.name}, got ${String(e)}`, { cause: e });
  }
  throw new Error(`Expected ${cls.name}, nothing was thrown`);
}
