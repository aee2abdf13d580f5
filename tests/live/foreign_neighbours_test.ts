/**
 * Foreign neighbours on this machine's kernel: objects made by hand with `ip` next to netform's
 * (an address on an owned link, a route in an owned namespace, a bridge in an owned namespace,
 * a foreign port of an owned bridge whose peer lives in a foreign namespace, a foreign macvlan
 * on an owned veth end, a whole foreign namespace, a namespace of someone else's under a name
 * the topology declares), then plan / apply / replace / destroy of the topology through the
 * command line (`main()` in this process). `ip -j -d` before and after shows every foreign
 * object unchanged, or the command refused naming it.
 *
 * Needs root; everything is named after a unique prefix and removed in `finally`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../_cli_in_process.ts";
import { hostSnapshot, leftoverNamespaces, removeNamespaces, uniquePrefix } from "./_unique.ts";

const MOD_URL = new URL("../../mod.ts", import.meta.url).href;
const ignore = Deno.uid?.() !== 0;

function ip(...args: string[]): void {
  const out = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

function ipJson(ns: string, ...args: string[]): unknown {
  const out = new Deno.Command("ip", {
    args: ["-n", ns, "-j", "-d", ...args],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) throw new Error(`ip -n ${ns} ${args.join(" ")}: ${out.stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * `value` without what moves on its own: counters, bridge timers, address lifetimes, the
 * carrier (a bridge without a running port loses it a moment later, and its routes read
 * `linkdown`), and IPv6 link-local addresses and their routes, which the kernel adds once
 * duplicate address detection is done. Everything configured stays.
 */
function settled(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.filter((v) =>
      !["LOWER_UP", "NO-CARRIER", "linkdown"].includes(v as string) && !isLinkLocal(v)
    ).map(settled);
  }
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "stats64" || k === "operstate" || k.startsWith("carrier_")) continue;
    if (k.endsWith("_timer") || k.endsWith("_life_time") || k === "tentative") continue;
    out[k] = settled(v);
  }
  return out;
}

function isLinkLocal(v: unknown): boolean {
  if (v === null || typeof v !== "object") return false;
  const o = v as { local?: unknown; dst?: unknown };
  return [o.local, o.dst].some((x) => typeof x === "string" && x.startsWith("fe80"));
}

/** What `ip -j -d` says of every namespace with `prefix`: links, addresses and routes. */
async function witness(prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const ns of await leftoverNamespaces(prefix)) {
    const links = settled(ipJson(ns, "link"));
    const addresses = settled(ipJson(ns, "addr"));
    const routes = settled(ipJson(ns, "route", "show", "table", "all"));
    out[ns] = { links, addresses, routes };
  }
  return out;
}

function manifest(prefix: string, variant: "base" | "a0 replaced" = "base"): string {
  const ns = (n: string) => JSON.stringify(prefix + n);
  const ref = (n: string, link: string) => JSON.stringify(`${prefix}${n}/${link}`);
  const a0Peer = variant === "base" ? ref("b", "b0") : ref("c", "c0");
  const b0 = variant === "base"
    ? `b0: { kind: "veth", peer: ${ref("a", "a0")}, addresses: ["10.62.0.2/24"] },
        mv0: { kind: "macvlan", parent: "b0", addresses: ["10.65.0.2/24"] },`
    : "";
  const c = variant === "base"
    ? ""
    : `[${ns("c")}]: { links: { lo: { kind: "loopback" }, c0: { kind: "veth", peer: ${
      ref("a", "a0")
    } } } },`;
  return `import { topology } from ${JSON.stringify(MOD_URL)};
export default topology({
  name: ${JSON.stringify(`${prefix}t`)},
  namespaces: {
    [${ns("a")}]: {
      links: {
        lo: { kind: "loopback" },
        br0: { kind: "bridge", addresses: ["10.61.0.1/24"] },
        a0: { kind: "veth", peer: ${a0Peer}, addresses: ["10.62.0.1/24"] },
      },
      routes: [{ to: "10.63.0.0/24", via: "10.62.0.2", dev: "a0" }],
    },
    [${ns("b")}]: {
      links: {
        lo: { kind: "loopback" },
        ${b0}
      },
    },
    ${c}
  },
});
`;
}

Deno.test({
  name:
    "objects made by hand next to the topology's are left as they were, or the command is refused naming them",
  ignore,
  async fn() {
    const before = await hostSnapshot();
    const p = uniquePrefix("nffn");
    const dir = await Deno.makeTempDir({ prefix: "netform_foreign_live_" });
    const live = ["--driver", "live"];
    const wait = ["--lock-timeout", "120s"];
    const [a, b, cni] = [`${p}a`, `${p}b`, `${p}cni`];
    try {
      const file = join(dir, "topology.ts");
      await Deno.writeTextFile(file, manifest(p));
      const first = await cli(["apply", file, ...live, ...wait, "--auto-approve"]);
      assert.equal(first.code, 0, first.output);

      // The neighbours, by hand.
      ip("netns", "add", cni);
      ip("-n", cni, "link", "add", "c1", "type", "veth", "peer", "name", "c2");
      ip("-n", cni, "addr", "add", "10.90.0.1/24", "dev", "c1");
      ip("-n", a, "addr", "add", "10.62.9.9/24", "dev", "a0");
      ip("-n", a, "route", "add", "10.64.0.0/24", "via", "10.62.0.2", "dev", "a0");
      ip("-n", a, "link", "add", "fbr", "type", "bridge");
      ip("-n", a, "link", "add", "fp0", "type", "veth", "peer", "name", "fp1", "netns", cni);
      ip("-n", a, "link", "set", "fp0", "master", "br0");
      ip("-n", b, "link", "add", "fmv", "link", "b0", "type", "macvlan", "mode", "bridge");
      ip("-n", b, "link", "set", "fmv", "netns", cni);
      await new Promise((r) => setTimeout(r, 200)); // let carrier settle
      const seen = await witness(p);

      // Converged: plan shows nothing, apply does nothing.
      const plan = await cli(["plan", file, ...live, "--detailed-exitcode"]);
      assert.equal(plan.code, 0, plan.output);
      const again = await cli(["apply", file, ...live, ...wait, "--auto-approve"]);
      assert.equal(again.code, 0, again.output);
      assert.deepEqual(await witness(p), seen, "a converged apply touched a neighbour");

      // Destroy would take the neighbours with the topology's namespaces: refused, naming each.
      const destroy = await cli(["destroy", file, ...live, ...wait, "--auto-approve"]);
      assert.equal(destroy.code, 1, destroy.output);
      for (
        const object of [
          `address.${a}.a0["10.62.9.9/24"]`,
          `route.${a}.main["10.64.0.0/24"] dev a0`,
          `link.${a}.fbr`,
          `link.${a}.fp0`,
          `link.${cni}.fp1`,
          `link.${cni}.fmv`,
        ]
      ) assert.ok(destroy.output.includes(object), `${object} is not named:\n${destroy.output}`);
      assert.match(destroy.output, /--allow-cascade-foreign/);
      assert.deepEqual(await witness(p), seen, "a refused destroy touched something");

      // Replacing the owned veth would drop the address and route made by hand on it.
      const replaced = join(dir, "replaced.ts");
      await Deno.writeTextFile(replaced, manifest(p, "a0 replaced"));
      const replace = await cli(["apply", replaced, ...live, ...wait, "--auto-approve"]);
      assert.equal(replace.code, 1, replace.output);
      assert.ok(replace.output.includes(`address.${a}.a0["10.62.9.9/24"]`), replace.output);
      assert.ok(replace.output.includes(`link.${cni}.fmv`), replace.output);
      assert.deepEqual(await witness(p), seen, "a refused replacement touched something");

      // A saved plan edited to delete the foreign namespace is refused, and it stays.
      const saved = join(dir, "plan.json");
      assert.equal(
        (await cli(["plan", replaced, ...live, "--out", saved, "--allow-cascade-foreign"])).code,
        0,
      );
      const edited = JSON.parse(await Deno.readTextFile(saved));
      edited.changes.push({
        address: `namespace.${cni}`,
        type: "namespace",
        namespace: cni,
        action: "delete",
        reason: "it is not in the topology",
        replacePaths: [],
        before: { name: cni },
        after: null,
      });
      edited.steps.push({
        change: `namespace.${cni}`,
        operation: { op: "namespace.delete", namespace: cni },
      });
      edited.summary.destroy++;
      await Deno.writeTextFile(saved, JSON.stringify(edited));
      const forged = await cli(["apply", saved, ...live, ...wait, "--auto-approve"]);
      assert.equal(forged.code, 1, forged.output);
      assert.match(forged.output, /is not the plan netform makes/);
      assert.deepEqual(await witness(p), seen, "an edited plan touched something");

      // With --allow-cascade-foreign destroy lists them and goes ahead; the foreign namespace
      // itself and what the cascade does not reach stay.
      const allowed = await cli([
        "destroy",
        file,
        ...live,
        ...wait,
        "--auto-approve",
        "--allow-cascade-foreign",
      ]);
      assert.equal(allowed.code, 0, allowed.output);
      assert.match(allowed.output, /Objects this topology does not own that go with it/);
      assert.deepEqual(await leftoverNamespaces(p), [cni]);
      const left = (ipJson(cni, "link") as { ifname: string }[]).map((l) => l.ifname).sort();
      assert.deepEqual(left, ["c1", "c2", "lo"], "only what the cascade reached is gone");
    } finally {
      await removeNamespaces(p);
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(await hostSnapshot(), before, "the host's own network is untouched");
  },
});

Deno.test({
  name:
    "a namespace of someone else's under a name the topology declares is not adopted with its content",
  ignore,
  async fn() {
    const before = await hostSnapshot();
    const p = uniquePrefix("nffa");
    const dir = await Deno.makeTempDir({ prefix: "netform_foreign_live_" });
    const live = ["--driver", "live"];
    const wait = ["--lock-timeout", "120s"];
    try {
      // A CNI-like namespace made first, under the name the topology will declare.
      ip("netns", "add", `${p}b`);
      ip("-n", `${p}b`, "link", "set", "lo", "up");
      ip("-n", `${p}b`, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
      ip("-n", `${p}b`, "route", "add", "blackhole", "10.66.0.0/24");
      const seen = await witness(p);
      const file = join(dir, "topology.ts");
      await Deno.writeTextFile(file, manifest(p));
      for (const command of [["plan"], ["apply", "--auto-approve", ...wait]]) {
        const run = await cli([...command, file, ...live]);
        assert.equal(run.code, 1, run.output);
        assert.match(run.output, new RegExp(`Cannot adopt namespace "${p}b": it holds 3 object`));
        for (
          const o of [`link.${p}b.eth0`, `link.${p}b.eth1`, `route.${p}b.main["10.66.0.0/24"]`]
        ) {
          assert.ok(run.output.includes(o), `${o} is not named:\n${run.output}`);
        }
      }
      assert.deepEqual(await witness(p), seen, "the refused namespace was touched");
      assert.deepEqual(await leftoverNamespaces(p), [`${p}b`], "nothing else was created");
    } finally {
      await removeNamespaces(p);
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(await hostSnapshot(), before, "the host's own network is untouched");
  },
});
