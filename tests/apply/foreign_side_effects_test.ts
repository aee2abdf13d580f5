/**
 * foreignSideEffects(): what a plan's steps would delete or change that the topology does not
 * own, found by running them on the model of the kernel, and the refusal built on it
 * (preparePlan and applyPlan refuse unless foreign cascades are allowed).
 */
import assert from "node:assert/strict";
import { applyPlan } from "../../src/apply/apply.ts";
import { foreignSideEffects } from "../../src/apply/foreign_side_effects.ts";
import { preparePlan } from "../../src/apply/prepare.ts";
import { forecastUndo } from "../../src/apply/undo.ts";
import { SimDriver } from "../../src/drivers/sim/driver.ts";
import { PlanError } from "../../src/errors.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import type { TopologyInput } from "../../src/manifest/topology.ts";
import type { Operation } from "../../src/model/operations.ts";
import type { ForeignSideEffect } from "../../src/plan/plan.ts";
import { plan, planDestroy } from "../../src/plan/planner.ts";

const topo = (input: TopologyInput) => validateManifestValue("test.ts", input);

const slaves = (mode: "l2" | "l3"): TopologyInput => ({
  name: "t",
  namespaces: {
    root: { links: { eth0: { kind: "existing", ipvlan: { mode } } } },
    ns1: { links: { ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["10.0.0.1/24"] } } },
  },
});

const dummies: TopologyInput = {
  name: "t",
  namespaces: {
    root: { links: { d0: { kind: "dummy", addresses: ["10.5.0.1/24"] } } },
    ns1: {
      links: { lo: { kind: "loopback" }, d1: { kind: "dummy", addresses: ["10.6.0.1/24"] } },
      routes: [{ to: "10.7.0.0/24", via: "10.6.0.254" }],
    },
  },
};

interface Case {
  name: string;
  /** Applied first. */
  topology: TopologyInput;
  /** Then done by someone else. */
  foreign: Operation[];
  /** What is planned then: another topology, or the destroy of the first. */
  next: TopologyInput | "destroy";
  expected: Omit<ForeignSideEffect, "step">[];
}

const macvlan = (namespace: string, name: string, parent: string): Operation => ({
  op: "link.create",
  link: {
    namespace,
    name,
    kind: "macvlan",
    up: true,
    parent: { namespace: "root", name: parent },
    macvlanMode: "bridge",
  },
});

const CASES: Case[] = [
  {
    name: "a foreign macvlan goes with its owned lower device",
    topology: dummies,
    foreign: [macvlan("root", "theirs", "d0")],
    next: "destroy",
    expected: [{ object: "link.root.theirs", effect: "deleted", change: "link.root.d0" }],
  },
  {
    name: "a foreign ipvlan slave changes mode with the port",
    topology: slaves("l2"),
    foreign: [{
      op: "link.create",
      link: {
        namespace: "root",
        name: "theirs",
        kind: "ipvlan",
        up: true,
        parent: { namespace: "root", name: "eth0" },
        ipvlan: { mode: "l2", flags: "bridge" },
      },
    }],
    next: slaves("l3"),
    expected: [{ object: "link.root.theirs", effect: "changed", change: "link.root.eth0" }],
  },
  {
    name: "a foreign IPv4 secondary goes with the owned primary",
    topology: dummies,
    foreign: [{
      op: "address.add",
      namespace: "root",
      link: "d0",
      cidr: "10.5.0.9/24",
      protocol: 0,
    }],
    next: {
      ...dummies,
      namespaces: { ...dummies.namespaces, root: { links: { d0: { kind: "dummy" } } } },
    },
    expected: [{
      object: 'address.root.d0["10.5.0.9/24"]',
      effect: "deleted",
      change: 'address.root.d0["10.5.0.1/24"]',
    }],
  },
  {
    name: "a foreign link's addresses and routes are folded into the link",
    topology: dummies,
    foreign: [
      { op: "link.create", link: { namespace: "ns1", name: "x0", kind: "dummy", up: true } },
      { op: "address.add", namespace: "ns1", link: "x0", cidr: "10.8.0.1/24", protocol: 0 },
      {
        op: "route.add",
        namespace: "ns1",
        route: {
          to: "10.9.0.0/24",
          type: "unicast",
          via: "10.8.0.254",
          dev: "x0",
          metric: 0,
          table: 254,
          protocol: 3,
        },
      },
    ],
    next: "destroy",
    expected: [{ object: "link.ns1.x0", effect: "deleted", change: "namespace.ns1" }],
  },
  {
    name: "the kernel's own routes, lo's loopback addresses and a master's port do not count",
    topology: slaves("l2"),
    foreign: [{
      op: "address.add",
      namespace: "ns1",
      link: "lo",
      cidr: "127.0.0.1/32",
      protocol: 0,
    }],
    next: "destroy",
    expected: [],
  },
  {
    name: "objects outside what the plan reaches do not count",
    topology: dummies,
    foreign: [
      { op: "namespace.create", namespace: "cni" },
      { op: "link.create", link: { namespace: "cni", name: "x0", kind: "dummy", up: true } },
      { op: "link.create", link: { namespace: "root", name: "x1", kind: "dummy", up: true } },
    ],
    next: "destroy",
    expected: [],
  },
];

Deno.test("foreignSideEffects() finds what the steps do to objects the topology does not own", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const driver = await SimDriver.open();
      await applyPlan(plan(topo(c.topology), await driver.observe()), driver);
      for (const op of c.foreign) await driver.execute(op);
      const observed = await driver.observe();
      const next = c.next === "destroy" ? planDestroy("t", observed) : plan(topo(c.next), observed);
      const found = foreignSideEffects(next.steps, observed, next.desired);
      assert.deepEqual(found.map(({ step: _, ...rest }) => rest), c.expected);
      for (const f of found) assert.equal(next.steps[f.step - 1]!.change, f.change);
      const forecast = forecastUndo(next.steps, observed);
      assert.deepEqual(
        foreignSideEffects(next.steps, observed, next.desired, { forecast }),
        found,
        "the forecast's model run gives the same answer as a run of its own",
      );

      if (c.expected.length === 0) return;
      // preparePlan and applyPlan refuse the plan, naming every object, and change nothing.
      assert.throws(() => preparePlan(structuredClone(next), observed), (e: unknown) => {
        assert.ok(e instanceof PlanError);
        assert.deepEqual([...e.addresses].sort(), c.expected.map((x) => x.object).sort());
        return true;
      });
      await assert.rejects(applyPlan(next, driver), PlanError);
      assert.deepEqual(await driver.observe(), observed);
      // Allowed, they are listed, and the apply goes ahead.
      const prepared = preparePlan(next, observed, { allowCascadeForeign: true });
      assert.deepEqual(prepared.plan.foreign, found);
      await applyPlan(next, driver, { allowCascadeForeign: true });
    });
  }
});
