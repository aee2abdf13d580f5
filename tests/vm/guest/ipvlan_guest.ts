/**
 * ipvlan scenarios on a real kernel. Runs INSIDE the QEMU guest (see tests/vm/vm_test.ts and
 * vm/run.ts), whose root namespace is disposable: every scenario creates the dummy master `d0`
 * in the guest's root namespace through netform (live driver), and destroys it afterwards.
 *
 * Not named `*_test.ts` on purpose: the host's `deno test tests/` must not pick it up (the host
 * kernel has no ipvlan). Run it with `deno test -A tests/vm/guest/ipvlan_guest.ts`.
 *
 * Each scenario applies the same plan to the live kernel and to a SimDriver, and compares the
 * observed test namespaces and the master's `ipvlan` field.
 */
import assert from "node:assert/strict";
import { applyPlan } from "../../../src/apply/apply.ts";
import type { Driver } from "../../../src/drivers/driver.ts";
import { ApplyError, KernelError, ManifestError } from "../../../src/errors.ts";
import type { IpvlanPort } from "../../../src/model/state.ts";
import { plan } from "../../../src/plan/planner.ts";
import { ipvlanTopology, Pair, ping, sh, tcp, TWO } from "./_lib.ts";

Deno.test("(a) ipvlan l2 bridge: ping and TCP between two namespaces; sim agrees", async () => {
  const p = await Pair.open("vma");
  const desired = ipvlanTopology(p.prefix, { mode: "l2", flags: "bridge" }, TWO);
  try {
    await p.apply(desired);
    const live = await p.live.observe();
    assert.deepEqual(live.namespaces["root"]?.links["d0"]?.ipvlan, { mode: "l2", flags: "bridge" });
    assert.ok(await ping(`${p.prefix}ns1`, "10.9.0.2", 3), "ns1 pings ns2 in l2 bridge");
    const got = await tcp(`${p.prefix}ns1`, `${p.prefix}ns2`, "10.9.0.2", 7777);
    assert.match(got, /hello-from-/, "the TCP server in ns2 received the client's line");
  } finally {
    await p.destroy(desired.name);
  }
});

Deno.test("(b) l2 bridge → l2 private through the plan: updated in place, ping fails; sim agrees", async () => {
  const p = await Pair.open("vmb");
  const bridge = ipvlanTopology(p.prefix, { mode: "l2", flags: "bridge" }, TWO);
  try {
    await p.apply(bridge);
    assert.ok(await ping(`${p.prefix}ns1`, "10.9.0.2", 3), "ns1 pings ns2 before the change");

    const priv = ipvlanTopology(p.prefix, { mode: "l2", flags: "private" }, TWO);
    const change = await p.apply(priv);
    const ops = change.steps.map((s) => s.operation.op);
    assert.ok(ops.length > 0, "something to change");
    assert.deepEqual(
      ops.filter((o) => o !== "link.update"),
      [],
      `only in-place updates: ${ops.join(", ")}`,
    );

    const live = await p.live.observe();
    assert.deepEqual(live.namespaces["root"]?.links["d0"]?.ipvlan, {
      mode: "l2",
      flags: "private",
    });
    // Port-wide: the other slave reports private too.
    const ip = await sh("ip", ["-n", `${p.prefix}ns2`, "-d", "-j", "link", "show", "ipvl2"]);
    const data = JSON.parse(ip.stdout)[0]?.linkinfo?.info_data;
    assert.equal(data?.mode, "l2");
    assert.equal(data?.private, true, `ipvl2 reports private: ${JSON.stringify(data)}`);
    assert.equal(await ping(`${p.prefix}ns1`, "10.9.0.2"), false, "no reply in l2 private");
  } finally {
    await p.destroy(bridge.name);
  }
});

Deno.test("(c) l3 bridge: slaves are NOARP, observe() reports the port on d0; sim agrees", async () => {
  const p = await Pair.open("vmc");
  const desired = ipvlanTopology(p.prefix, { mode: "l3", flags: "bridge" }, TWO);
  try {
    await p.apply(desired);
    for (const s of TWO) {
      const ip = await sh("ip", ["-n", p.prefix + s.ns, "-d", "-j", "link", "show", s.name]);
      const link = JSON.parse(ip.stdout)[0];
      assert.ok(link.flags.includes("NOARP"), `${s.name} is NOARP: ${link.flags}`);
      assert.equal(link.linkinfo?.info_data?.mode, "l3");
    }
    const live = await p.live.observe();
    assert.deepEqual(live.namespaces["root"]?.links["d0"]?.ipvlan, { mode: "l3", flags: "bridge" });
    assert.ok(await ping(`${p.prefix}ns1`, "10.9.0.2", 3), "ns1 pings ns2 in l3 bridge");
  } finally {
    await p.destroy(desired.name);
  }
});

Deno.test("(d) mode/flags walk l2 → l3 → l3s vepa → l2 bridge: every step in place; sim agrees", async () => {
  const p = await Pair.open("vmd");
  const ports: IpvlanPort[] = [
    { mode: "l2", flags: "bridge" },
    { mode: "l3", flags: "private" },
    { mode: "l3s", flags: "vepa" },
    { mode: "l2", flags: "bridge" },
  ];
  const first = ipvlanTopology(p.prefix, ports[0]!, TWO);
  try {
    for (const [i, port] of ports.entries()) {
      const step = await p.apply(ipvlanTopology(p.prefix, port, TWO)); // compares live and sim
      if (i > 0) {
        const ops = step.steps.map((s) => s.operation.op);
        assert.deepEqual(ops.filter((o) => o !== "link.update"), [], `in place: ${ops.join(", ")}`);
      }
      const live = await p.live.observe();
      assert.deepEqual(live.namespaces["root"]?.links["d0"]?.ipvlan, port);
    }
  } finally {
    await p.destroy(first.name);
  }
});

Deno.test("(e) a duplicate address on two slaves of one master: live and sim refuse with EADDRINUSE", async () => {
  const p = await Pair.open("vme");
  const desired = ipvlanTopology(p.prefix, { mode: "l2", flags: "bridge" }, TWO);
  try {
    // The manifest validator refuses it before any kernel sees it ...
    assert.throws(
      () =>
        ipvlanTopology(p.prefix, { mode: "l2", flags: "bridge" }, [
          TWO[0]!,
          { ...TWO[1]!, address: "10.9.0.1/24" },
        ]),
      ManifestError,
    );
    await p.apply(desired);

    // ... so go past it: a desired state with the duplicate, planned and applied on both.
    const dup = structuredClone(desired);
    const slave2 = dup.namespaces[`${p.prefix}ns2`]!.links["ipvl2"]!;
    slave2.addresses.push({
      ...desired.namespaces[`${p.prefix}ns1`]!.links["ipvl1"]!.addresses[0]!,
    });
    const errno = async (driver: Driver): Promise<string | undefined> => {
      const step = plan(dup, await driver.observe());
      try {
        await applyPlan(step, driver);
      } catch (e) {
        const cause = e instanceof ApplyError ? e.cause : e;
        return cause instanceof KernelError ? cause.code : `not a KernelError: ${e}`;
      }
      return undefined;
    };
    assert.equal(await errno(p.live), "EADDRINUSE", "the live kernel refuses");
    assert.equal(await errno(p.sim), "EADDRINUSE", "the simulator refuses");
    await p.assertSame();
  } finally {
    await p.destroy(desired.name);
  }
});

Deno.test("(f) 6.1 name lookup: a slave named like its master's device, in another namespace; live and sim agree", async () => {
  // 6.1 looks up IFLA_IFNAME in the *socket's* namespace before creating (fixed upstream in 2025,
  // ec061546c6cf). A slave is created on a socket in its parent's namespace, so a slave named
  // `d0` in ns1 collides with the master `d0` in root unless the driver creates it under a
  // temporary name and renames it in ns1, which it does.
  const p = await Pair.open("vmf");
  const desired = ipvlanTopology(p.prefix, { mode: "l2", flags: "bridge" }, [
    { ns: "ns1", name: "d0", address: "10.9.0.1/24" },
  ]);
  try {
    await p.apply(desired); // both succeed and end in the same state
    const ns1 = await sh("ip", ["-n", `${p.prefix}ns1`, "-d", "-j", "link", "show"]);
    const links = JSON.parse(ns1.stdout) as { ifname: string; linkinfo?: { info_kind?: string } }[];
    assert.deepEqual(links.map((l) => l.ifname).sort(), ["d0", "lo"], "no temporary name left");
    assert.equal(links.find((l) => l.ifname === "d0")?.linkinfo?.info_kind, "ipvlan");
    const root = await sh("ip", ["-d", "-j", "link", "show", "d0"]);
    assert.equal(JSON.parse(root.stdout)[0]?.linkinfo?.info_kind, "dummy", "root's d0 untouched");
  } finally {
    await p.destroy(desired.name);
  }
});
