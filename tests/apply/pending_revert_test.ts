/**
 * A pending-revert record is a file: its undo operations are checked on the model of the host
 * before any runs (checkRevert), so an edited record cannot touch what the apply did not, and
 * revertPending refuses it, puts it back and changes nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { applyPlan } from "../../src/apply/apply.ts";
import { objectDigests } from "../../src/apply/objects.ts";
import {
  checkRevert,
  newPendingRevert,
  type PendingRevert,
  revertPending,
  writePendingRevert,
} from "../../src/apply/pending_revert.ts";
import { scopedState, scopeSpecOf } from "../../src/apply/scope.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { UsageError } from "../../src/errors.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import type { Operation } from "../../src/model/operations.ts";
import { plan } from "../../src/plan/planner.ts";

const desired = validateManifestValue("test.ts", {
  name: "t",
  namespaces: {
    root: { links: { eth0: { kind: "existing" } } },
    ns1: {
      links: {
        lo: { kind: "loopback" },
        v0: { kind: "veth", peer: "v1", addresses: ["10.1.0.1/24"] },
        v1: { kind: "veth", peer: "v0" },
      },
      routes: [{ to: "10.2.0.0/24", via: "10.1.0.2", dev: "v0" }],
    },
  },
});

/** A host with neighbours, the topology applied on it, and the record of that apply. */
async function applied(): Promise<{ driver: SimDriver; record: PendingRevert }> {
  const driver = await SimDriver.open();
  for (
    const op of [
      { op: "namespace.create", namespace: "cni" },
      { op: "link.create", link: { namespace: "root", name: "br9", kind: "bridge", up: true } },
      {
        op: "route.add",
        namespace: "root",
        route: { to: "10.9.0.0/24", type: "blackhole", metric: 0, table: 254, protocol: 3 },
      },
    ] satisfies Operation[]
  ) await driver.execute(op);
  const observed = await driver.observe();
  const scope = scopeSpecOf(desired);
  const report = await applyPlan(plan(desired, observed), driver, { undoOnSuccess: true });
  const record = newPendingRevert(
    "t",
    report.undo,
    scope,
    objectDigests(scopedState(observed, scope)),
    60_000,
  );
  return { driver, record };
}

interface Case {
  name: string;
  /** Operations slipped into the record, first. */
  added: Operation[];
  /** Done by someone else after the apply. */
  meanwhile?: Operation[];
  refused: RegExp;
}

const CASES: Case[] = [
  {
    name: "deleting a namespace of someone else's",
    added: [{ op: "namespace.delete", namespace: "cni" }],
    refused: /would change what the apply did not: .*namespace\.cni/,
  },
  {
    name: "deleting a link of someone else's in the root namespace",
    added: [{ op: "link.delete", namespace: "root", name: "br9" }],
    refused: /link\.root\.br9/,
  },
  {
    name: "deleting a route of someone else's in the root namespace",
    added: [{
      op: "route.delete",
      namespace: "root",
      route: { to: "10.9.0.0/24", type: "blackhole", metric: 0, table: 254, protocol: 3 },
    }],
    refused: /route\.root\.main\["10\.9\.0\.0\/24"\]/,
  },
  {
    name: "changing the host's NIC, which the apply left alone",
    added: [{ op: "link.update", namespace: "root", name: "eth0", changes: { mtu: 1400 } }],
    refused: /link\.root\.eth0/,
  },
  {
    name: "deleting an address someone added on an owned link after the apply",
    meanwhile: [{
      op: "address.add",
      namespace: "ns1",
      link: "v1",
      cidr: "10.1.0.2/24",
      protocol: 0,
    }],
    added: [{ op: "address.delete", namespace: "ns1", link: "v1", cidr: "10.1.0.2/24" }],
    refused: /address\.ns1\.v1\["10\.1\.0\.2\/24"\]/,
  },
];

Deno.test("checkRevert() refuses a record edited to touch what the apply did not", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const { driver, record } = await applied();
      for (const op of c.meanwhile ?? []) await driver.execute(op);
      record.undo = [...c.added, ...record.undo];
      const check = checkRevert(record, await driver.observe());
      assert.equal(check.ok, false);
      assert.match(check.ok ? "" : check.why, c.refused);

      // Through revertPending: refused, the record put back, the host unchanged.
      const dir = await Deno.makeTempDir({ prefix: "netform_revert_" });
      try {
        const file = join(dir, "pending.json");
        await writePendingRevert(file, record);
        const before = await driver.observe();
        await assert.rejects(revertPending(file, driver), (e: unknown) => {
          assert.ok(e instanceof UsageError);
          assert.match(e.message, /nothing was changed/);
          return true;
        });
        assert.deepEqual(await driver.observe(), before);
        await Deno.stat(file);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("checkRevert() passes a record as the apply wrote it, and the revert restores the host", async () => {
  const { driver, record } = await applied();
  const check = checkRevert(record, await driver.observe());
  assert.deepEqual(check, { ok: true, operations: record.undo });
  const dir = await Deno.makeTempDir({ prefix: "netform_revert_" });
  try {
    const file = join(dir, "pending.json");
    await writePendingRevert(file, record);
    const outcome = await revertPending(file, driver);
    assert.equal(outcome?.restored, true, outcome?.left);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkRevert() runs only the operations before one the host as it is now refuses", async () => {
  const { driver, record } = await applied();
  // Someone deleted the topology's namespace meanwhile: its undo deletes it too.
  await driver.execute({ op: "namespace.delete", namespace: "ns1" });
  const check = checkRevert(record, await driver.observe());
  assert.ok(check.ok);
  assert.ok(check.stoppedAt !== undefined, "the refused operation is named");
  assert.ok(check.operations.length < record.undo.length);
});
