/**
 * The differential check: the live kernel and a fresh simulator driven the same way, operation by
 * operation, must agree on the outcome of each one (success, or the same `KernelError` code) and
 * end in the same observed state, restricted to the case's own namespaces.
 *
 * Two kinds of cases, each a fast-check property with a fixed seed (printed; override with
 * `NETFORM_DIFF_SEED`, `NETFORM_DIFF_RUNS`):
 * - {@linkcode topologyCase}: a random valid topology (tests/properties/_arbitraries.ts), then
 *   maybe another one under the same name, each planned against the live kernel and applied to
 *   both; then re-planned (nothing left to do on either) and destroyed;
 * - {@linkcode operationsCase}: a random sequence of raw operations (./_operations.ts), valid and
 *   invalid, through `driver.execute`.
 *
 * Runs in the QEMU guest (the kernel has ipvlan and dummy); runs on any kernel with the kinds it
 * has (`kinds`), which is how it is tried on a host without them.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import type { Driver } from "../../../src/drivers/driver.ts";
import { openDriver } from "../../../src/drivers/open.ts";
import { SimDriver } from "../../../src/drivers/sim/driver.ts";
import { KernelError } from "../../../src/errors.ts";
import { validateManifestValue } from "../../../src/manifest/load.ts";
import type { LinkSpec, Operation } from "../../../src/model/operations.ts";
import type { HostState } from "../../../src/model/state.ts";
import { plan, planDestroy } from "../../../src/plan/planner.ts";
import { buildTopology, rawTopology, type TopologyOptions } from "../../properties/_arbitraries.ts";
import { deleteNamespace, listNamespaces } from "../../../ffi/mod.ts";
import { onlyPrefixed } from "../../live/_unique.ts";
import { inNamespaces, operationSequence } from "./_operations.ts";

/** Seed and number of runs, from the environment when given. */
export function settings(defaults: { seed: number; runs: number }): { seed: number; runs: number } {
  const env = (k: string) => {
    const v = Deno.env.get(k);
    return v === undefined || v === "" ? undefined : Number(v);
  };
  return {
    seed: env("NETFORM_DIFF_SEED") ?? defaults.seed,
    runs: env("NETFORM_DIFF_RUNS") ?? defaults.runs,
  };
}

/** What an operation did: `ok`, or the error's class. */
async function outcome(driver: Driver, op: Operation): Promise<string> {
  try {
    await driver.execute(op);
    return "ok";
  } catch (e) {
    if (e instanceof KernelError) return e.code;
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** The observed state of the case's namespaces, with addresses and routes in a stable order. */
export function comparableState(state: HostState, prefix: string): HostState {
  const out = structuredClone(onlyPrefixed(state, prefix));
  const key = (v: unknown) => stable(v);
  for (const ns of Object.values(out.namespaces)) {
    for (const link of Object.values(ns.links)) {
      link.addresses.sort((x, y) => key(x).localeCompare(key(y)));
    }
    ns.routes.sort((x, y) => key(x).localeCompare(key(y)));
  }
  return out;
}

/** JSON with object keys sorted, so two states print alike where they are alike. */
function stable(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
  );
}

/** A disagreement between the kernel and the simulator (the property fails with it). */
export class Disagreement extends Error {
  override name = "Disagreement";
}

/** One case's pair of drivers: a live driver of its own (closed after) and a fresh simulator. */
class CasePair {
  constructor(readonly prefix: string, readonly live: Driver, readonly sim: SimDriver) {}

  static async open(prefix: string): Promise<CasePair> {
    return new CasePair(prefix, await openDriver("live"), await SimDriver.open());
  }

  /** Runs `op` on both; throws `Disagreement` unless both did the same. Returns the outcome. */
  async run(op: Operation, where: string): Promise<string> {
    const live = await outcome(this.live, op);
    const sim = await outcome(this.sim, op);
    if (live !== sim) {
      throw new Disagreement(
        `${where}: kernel ${live}, simulator ${sim} for ${JSON.stringify(op)}`,
      );
    }
    return live;
  }

  async assertSameState(where: string): Promise<HostState> {
    const live = comparableState(await this.live.observe(), this.prefix);
    const sim = comparableState(await this.sim.observe(), this.prefix);
    if (!isDeepStrictEqual(live, sim)) {
      throw new Disagreement(
        `${where}: the states differ\n--- kernel\n${stable(live)}\n--- simulator\n${stable(sim)}`,
      );
    }
    return live;
  }

  /**
   * Closes the live driver and drops the case's namespaces: only their names, as `ip netns del`
   * does, so the kernel tears them down in the background (`ip netns del` itself costs a second
   * a call under TCG, the driver's synchronous delete a fifth of one).
   */
  close(): void {
    this.live.close?.();
    for (const ns of listNamespaces()) if (ns.startsWith(this.prefix)) deleteNamespace(ns);
  }
}

let caseCounter = 0;
/** A fresh namespace prefix per case (fast-check re-runs cases while it shrinks). */
function casePrefix(run: string): string {
  return `${run}${(caseCounter++).toString(36)}-`;
}

// ------------------------------------------------------------------------- raw operations

/** The link kinds a kernel with (or without) ipvlan and dummy can create. */
export function kindsOf(has: { ipvlan: boolean; dummy: boolean }): LinkSpec["kind"][] {
  return [
    "bridge",
    "veth",
    "macvlan",
    ...(has.dummy ? ["dummy" as const] : []),
    ...(has.ipvlan ? ["ipvlan" as const] : []),
  ];
}

/** A sequence of raw operations on both drivers; every outcome and the end state must agree. */
export async function operationsCase(ops: Operation[], run: string): Promise<void> {
  const pair = await CasePair.open(casePrefix(run));
  try {
    for (const [i, op] of ops.entries()) {
      await pair.run(inNamespaces(op, pair.prefix), `operation ${i}`);
    }
    await pair.assertSameState("after the operations");
  } finally {
    pair.close();
  }
}

export const operationsProperty = (kinds: LinkSpec["kind"][], run: string) =>
  fc.asyncProperty(operationSequence(kinds), (ops) => operationsCase(ops, run));

// ----------------------------------------------------------------------------- topologies

const TOPOLOGY: Omit<TopologyOptions, "name" | "nsPrefix"> = {
  linkPrefix: "l",
  subnetBase: 0,
  routeOctet: 16,
  useRoot: false,
  maxNamespaces: 3,
};

/** Raw topologies with at least one named namespace (with none, links would go to root). */
const rawInNamespaces = rawTopology(TOPOLOGY.maxNamespaces, 6).map((r) => ({
  ...r,
  nsCount: Math.max(1, r.nsCount),
}));

export const topologyArbitrary = fc.record({
  first: rawInNamespaces,
  second: fc.option(rawInNamespaces, { nil: undefined }),
});
export type TopologyCase = typeof topologyArbitrary extends fc.Arbitrary<infer T> ? T : never;

/**
 * A valid topology (and maybe a second one under the same name), planned against the kernel and
 * applied to both step by step, re-planned (nothing to do on either), then destroyed.
 */
export async function topologyCase(c: TopologyCase, run: string): Promise<void> {
  const pair = await CasePair.open(casePrefix(run));
  const name = `${pair.prefix}t`;
  const options: TopologyOptions = { ...TOPOLOGY, name, nsPrefix: `${pair.prefix}n` };
  try {
    for (const [k, raw] of [c.first, c.second].entries()) {
      if (raw === undefined) continue;
      const desired = validateManifestValue("generated.ts", buildTopology(raw, options));
      const steps = plan(desired, await pair.live.observe()).steps;
      for (const [i, step] of steps.entries()) {
        const got = await pair.run(step.operation, `topology ${k + 1}, step ${i}`);
        if (got !== "ok") {
          throw new Disagreement(
            `topology ${k + 1}, step ${i}: both refused a valid plan (${got})`,
          );
        }
      }
      await pair.assertSameState(`after topology ${k + 1}`);
      const left = plan(desired, await pair.live.observe()).changes.length;
      const simLeft = plan(desired, await pair.sim.observe()).changes.length;
      if (left !== 0 || simLeft !== 0) {
        throw new Disagreement(
          `topology ${k + 1}: not converged (kernel ${left} changes left, simulator ${simLeft})`,
        );
      }
    }
    const destroy = planDestroy(name, await pair.live.observe()).steps;
    for (const [i, step] of destroy.entries()) {
      const got = await pair.run(step.operation, `destroy, step ${i}`);
      if (got !== "ok") throw new Disagreement(`destroy, step ${i}: both refused it (${got})`);
    }
    const after = await pair.assertSameState("after destroy");
    if (Object.keys(after.namespaces).length > 0) {
      throw new Disagreement(`destroy left ${Object.keys(after.namespaces).join(", ")}`);
    }
  } finally {
    pair.close();
  }
}

export const topologyProperty = (run: string) =>
  fc.asyncProperty(topologyArbitrary, (c) => topologyCase(c, run));
