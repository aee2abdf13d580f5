/**
 * The live observer against the real kernel, with `ip -j` as the oracle. Needs root; every test
 * works in its own throwaway namespaces (`nfobs-<random>`) and deletes them even on failure.
 * Run: `deno test -A tests/live/observe_test.ts`.
 */
import assert from "node:assert/strict";
import ipaddr from "ipaddr.js";
import { observeHost } from "../../src/drivers/live/observe.ts";
import type { Link, LinkRef, Namespace, Route } from "../../src/model/state.ts";
import { compareCidr } from "../../src/drivers/live/_ip.ts";

const isRoot = Deno.uid?.() === 0;

function ip(...args: string[]): string {
  const out = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

// deno-lint-ignore no-explicit-any
type Json = any;
function ipJson(...args: string[]): Json[] {
  const text = ip("-j", ...args).trim();
  return text === "" ? [] : JSON.parse(text);
}

function uniqueName(): string {
  return `nfobs-${crypto.randomUUID().slice(0, 8)}`;
}

/** Runs `fn` with `count` fresh namespaces, deleting them afterwards whatever happens. */
async function withNamespaces(count: number, fn: (ns: string[]) => void | Promise<void>) {
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const n = uniqueName();
      ip("netns", "add", n);
      names.push(n);
    }
    await fn(names);
  } finally {
    for (const n of names) {
      try {
        ip("netns", "del", n);
      } catch (e) {
        console.error(e);
      }
    }
  }
}

const ROUTE_TYPES: Record<string, number> = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
};
const TYPE_NAMES: Record<number, Route["type"]> = {
  1: "unicast",
  6: "blackhole",
  7: "unreachable",
  8: "prohibit",
};
const SCOPES: Record<number, Route["scope"]> = { 0: "universe", 253: "link", 254: "host" };
/** iproute2 6.1 does not print IFA_PROTO: the oracle's addresses carry this instead. */
const PROTO_UNKNOWN = -1;

/**
 * `ns` with every address protocol replaced by {@linkcode PROTO_UNKNOWN}, after checking it:
 * the kernel gives `::1` on lo IFAPROT_KERNEL_LO (1) and these tests add addresses with none (0).
 */
function withoutAddressProtocols(ns: Namespace | undefined): Namespace | undefined {
  if (ns === undefined) return undefined;
  const links: Record<string, Link> = {};
  for (const [name, link] of Object.entries(ns.links)) {
    for (const a of link.addresses) {
      const want = name === "lo" && a.cidr === "::1/128" ? 1 : 0;
      assert.equal(a.protocol, want, `protocol of ${a.cidr} on ${name}`);
    }
    links[name] = {
      ...link,
      addresses: link.addresses.map((a) => ({ ...a, protocol: PROTO_UNKNOWN })),
    };
  }
  return { ...ns, links };
}

function num(v: unknown, names: Record<string, number> = {}): number {
  if (typeof v === "number") return v;
  const s = String(v);
  return /^\d+$/.test(s) ? Number(s) : names[s]!;
}

function canonical(addr: string): string {
  return addr.includes(":") ? ipaddr.IPv6.parse(addr).toRFC5952String() : addr;
}

/** What `ip -N -j -d` reports for namespace `ns`, in the model's shape. */
function oracle(ns: string): Namespace {
  const nameIn = (n: string, index: number) =>
    ipJson("-n", n, "link", "show").find((l: Json) => l.ifindex === index)?.ifname as string;
  const ids: Json[] = ipJson("-n", ns, "netns", "list-id");
  const refOf = (l: Json): LinkRef => {
    if (l.link_netnsid !== undefined) {
      const target = ids.find((i) => i.nsid === l.link_netnsid)?.name as string;
      return { namespace: target, name: nameIn(target, l.link_index) };
    }
    return { namespace: ns, name: l.link ?? nameIn(ns, l.link_index) };
  };
  const addrs = new Map<string, Json[]>();
  for (const l of ipJson("-N", "-n", ns, "addr", "show")) addrs.set(l.ifname, l.addr_info);
  const links: Record<string, Link> = {};
  for (const l of ipJson("-N", "-n", ns, "-d", "link", "show")) {
    const addresses = (addrs.get(l.ifname) ?? [])
      .map((a: Json) => ({
        cidr: `${canonical(a.local)}/${a.prefixlen}`,
        protocol: PROTO_UNKNOWN,
      }))
      // iproute2 6.1 cannot print IFA_PROTO, so the oracle cannot tell kernel link-local
      // addresses by protocol; the test topologies add no fe80::/10 address of their own.
      .filter((a: Json) => !a.cidr.startsWith("fe80:"))
      .sort((a: Json, b: Json) => compareCidr(a.cidr, b.cidr));
    const common = {
      up: (l.flags as string[]).includes("UP"),
      mtu: l.mtu,
      ...(l.ifalias ? { alias: l.ifalias } : {}),
      ...(l.master ? { master: l.master } : {}),
      addresses,
    };
    const kind = l.linkinfo?.info_kind as string | undefined;
    let link: Link;
    if (kind === undefined) {
      link = l.ifname === "lo" ? { kind: "loopback", ...common } : { kind: "device", ...common };
    } else if (kind === "veth") link = { kind, ...common, peer: refOf(l) };
    else if (kind === "macvlan") {
      link = { kind, ...common, parent: refOf(l), mode: l.linkinfo.info_data.mode };
    } else if (kind === "bridge" || kind === "dummy") link = { kind, ...common };
    else link = { kind: "device", ...common, type: kind };
    links[l.ifname] = link;
  }
  const routes: Route[] = [];
  for (const family of ["-4", "-6"]) {
    for (const r of ipJson("-N", "-d", "-n", ns, family, "route", "show", "table", "all")) {
      const type = TYPE_NAMES[r.type === undefined ? 1 : num(r.type, ROUTE_TYPES)];
      const table = r.table === undefined ? 254 : num(r.table, { main: 254, local: 255 });
      if (type === undefined || table === 255) continue;
      const to = r.dst === "default"
        ? (family === "-4" ? "0.0.0.0/0" : "::/0")
        : r.dst.includes("/")
        ? `${canonical(r.dst.split("/")[0])}/${r.dst.split("/")[1]}`
        : `${canonical(r.dst)}/${family === "-4" ? 32 : 128}`;
      const protocol = num(r.protocol, { kernel: 2, boot: 3, static: 4 });
      if (to === "fe80::/64" && protocol === 2) continue;
      const scope = SCOPES[num(r.scope ?? 0, { global: 0, link: 253, host: 254 })];
      routes.push({
        to,
        type,
        ...(r.gateway ? { via: canonical(r.gateway) } : {}),
        ...(r.dev ? { dev: r.dev } : {}),
        ...(scope ? { scope } : {}),
        metric: r.metric ?? 0,
        table,
        ...(r.prefsrc ? { src: canonical(r.prefsrc) } : {}),
        protocol,
      });
    }
  }
  routes.sort((a, b) =>
    a.table - b.table || compareCidr(a.to, b.to) || a.metric - b.metric ||
    (a.dev ?? "").localeCompare(b.dev ?? "")
  );
  return { links, routes };
}

function threadNamespace(): number {
  return Deno.statSync("/proc/thread-self/ns/net").ino ?? 0;
}

Deno.test({
  name: "observeHost() reports the test namespaces exactly as ip -j does",
  ignore: !isRoot,
  sanitizeResources: false,
  fn: () =>
    withNamespaces(2, ([a, b]) => {
      const A = a!, B = b!;
      const run = (ns: string, cmd: string) => ip("-n", ns, ...cmd.split(" "));
      // A veth pair across the two namespaces, with addresses, an alias and routes.
      run(A, `link add va type veth peer name vb netns ${B}`);
      run(A, "link set lo up");
      run(A, "link set va up mtu 1400");
      run(A, "link set va alias netform:test");
      run(A, "addr add 10.50.0.1/24 dev va");
      run(A, "addr add 10.50.1.7/32 dev va");
      run(A, "addr add 2001:db8:50::1/64 dev va");
      run(A, "route add 10.60.0.0/16 via 10.50.0.2 metric 7");
      run(A, "route add 10.61.0.0/16 via 10.50.0.2 table 100");
      run(A, "route add 10.62.0.0/16 dev va proto 150 scope link");
      run(A, "route add 2001:db8:99::/48 via 2001:db8:50::2 metric 300");
      run(A, "route add default via 10.50.0.254");
      run(A, "route add blackhole 10.70.0.0/16");
      run(A, "route add unreachable 10.71.0.0/16 table 100");
      run(A, "route add prohibit 2001:db8:72::/48");
      // B: a bridge with a veth port, a macvlan on the cross-namespace veth end.
      run(B, "link add br0 type bridge");
      run(B, "link add p0 type veth peer name p1");
      run(B, "link set p0 master br0");
      run(B, "link set br0 up");
      run(B, "link set vb up");
      run(B, "addr add 10.50.0.2/24 dev vb");
      run(B, "addr add 192.0.2.1/24 dev br0");
      run(B, "link add mv0 link vb type macvlan mode bridge");
      run(B, "link add mv1 link vb type macvlan mode private");
      run(B, "link set mv0 up");
      // A macvlan in A whose parent is in B (moved across): parent by link-netnsid.
      run(B, "link add mvx link vb type macvlan mode vepa");
      run(B, `link set mvx netns ${A}`);

      const before = threadNamespace();
      const first = observeHost();
      assert.deepStrictEqual(threadNamespace(), before, "observing changed the thread's namespace");
      const second = observeHost();
      // Only this test's namespaces: other tests change theirs at the same time.
      const ours = (s: typeof first) => [s.namespaces[A], s.namespaces[B]];
      assert.deepStrictEqual(ours(second), ours(first), "two observes differ");

      for (const ns of [A, B]) {
        assert.deepStrictEqual(withoutAddressProtocols(first.namespaces[ns]), oracle(ns), ns);
      }

      const la = first.namespaces[A]!.links;
      const lb = first.namespaces[B]!.links;
      assert.deepStrictEqual(
        la.va,
        { ...la.va!, kind: "veth", peer: { namespace: B, name: "vb" } } as Link,
      );
      assert.deepStrictEqual((lb.vb as Extract<Link, { kind: "veth" }>).peer, {
        namespace: A,
        name: "va",
      });
      assert.deepStrictEqual((la.mvx as Extract<Link, { kind: "macvlan" }>).parent, {
        namespace: B,
        name: "vb",
      });
      assert.deepStrictEqual(lb.p0?.master, "br0");
      assert.deepStrictEqual(la.va?.alias, "netform:test");
      assert.deepStrictEqual(la.va?.mtu, 1400);
      assert.ok(first.namespaces.root !== undefined, "root namespace is reported");
    }),
});

Deno.test({
  name: "observeHost() is fast with 100 macvlans (timing against ip -j)",
  ignore: !isRoot,
  sanitizeResources: false,
  fn: () =>
    withNamespaces(1, ([x]) => {
      const X = x!;
      const batch = ["link add up0 type veth peer name up1"];
      for (let i = 0; i < 100; i++) {
        batch.push(`link add mv${i} link up0 type macvlan mode bridge`);
        batch.push(`addr add 10.80.${i}.1/24 dev mv${i}`);
      }
      Deno.writeTextFileSync(`/tmp/${X}.batch`, batch.join("\n") + "\n");
      try {
        ip("-n", X, "-batch", `/tmp/${X}.batch`);
      } finally {
        Deno.removeSync(`/tmp/${X}.batch`);
      }
      observeHost(); // warm up (FFI load, JIT)
      const rounds = 5;
      let t0 = performance.now();
      let state;
      for (let i = 0; i < rounds; i++) state = observeHost();
      const observeMs = (performance.now() - t0) / rounds;
      t0 = performance.now();
      for (let i = 0; i < rounds; i++) {
        ip("-n", X, "-j", "-d", "link", "show");
        ip("-n", X, "-j", "addr");
        ip("-n", X, "-j", "route", "show", "table", "all");
      }
      const ipMs = (performance.now() - t0) / rounds;
      const nsCount = Object.keys(state!.namespaces).length;
      console.log(
        `observeHost() over ${nsCount} namespaces: ${observeMs.toFixed(1)} ms; ` +
          `3 ip -j commands on 1 namespace: ${ipMs.toFixed(1)} ms`,
      );
      assert.deepStrictEqual(Object.keys(state!.namespaces[X]!.links).length, 103);
      assert.deepStrictEqual(withoutAddressProtocols(state!.namespaces[X]), oracle(X));
    }),
});
