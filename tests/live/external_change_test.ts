/**
 * A long-lived live driver (one per CLI command, or held by a GitOps agent) must not trust what
 * it remembered about the kernel once someone else changed it. Found in the VM: after
 * `ip link del` of a master and netform's own re-creation of it, a slave was created against the
 * master's old ifindex (ENODEV). Here with veth and macvlan, which this kernel has.
 * Needs root and `-A`; works only in throwaway namespaces, deleted in `finally`.
 */
import assert from "node:assert/strict";
import { applyPlan } from "../../src/apply/apply.ts";
import { LiveDriver } from "../../src/drivers/live/driver.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";
import { hostSnapshot, removeNamespaces, uniquePrefix } from "./_unique.ts";

const ignore = Deno.uid?.() !== 0 ||
  Deno.permissions.querySync({ name: "ffi" }).state !== "granted";

function ip(...args: string[]): void {
  const out = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

Deno.test({
  name: "a lower device deleted and re-made by someone else: the same driver re-creates the slave",
  ignore,
  async fn() {
    const before = await hostSnapshot();
    const p = uniquePrefix("nfext");
    const desired = validateManifestValue("external_change_test.ts", {
      name: `${p}t`,
      namespaces: {
        [`${p}lan`]: {
          links: {
            m0: { kind: "veth", peer: `${p}far/sw0` },
          },
        },
        [`${p}far`]: { links: { sw0: { kind: "veth", peer: `${p}lan/m0` } } },
        [`${p}c1`]: {
          links: { mv0: { kind: "macvlan", parent: `${p}lan/m0`, addresses: ["10.77.0.2/24"] } },
        },
      },
    });
    const live = new LiveDriver();
    try {
      await applyPlan(plan(desired, await live.observe()), live);

      // Someone else deletes the lower device: its macvlan and the veth peer go with it.
      ip("-n", `${p}lan`, "link", "del", "m0");
      const repair = plan(desired, await live.observe());
      const created = repair.changes.filter((c) => c.action === "create").map((c) => c.address);
      assert.deepEqual(created.sort(), [
        `address.${p}c1.mv0["10.77.0.2/24"]`,
        `link.${p}c1.mv0`,
        `link.${p}far.sw0`,
        `link.${p}lan.m0`,
      ]);
      // The same driver: it saw m0 before, under the ifindex that is gone now.
      await applyPlan(repair, live);
      assert.equal(plan(desired, await live.observe()).changes.length, 0);

      await applyPlan(planDestroy(desired.name, await live.observe()), live);
    } finally {
      live.close();
      await removeNamespaces(p);
    }
    assert.equal(await hostSnapshot(), before, "the host's own network is untouched");
  },
});
