/**
 * Differential checks on a real kernel (issue 4): random valid topologies and random sequences
 * of raw operations, each driven on the live kernel and on a fresh simulator, which must agree
 * on every operation's outcome and on the end state (see ./_differential.ts). Runs INSIDE the
 * QEMU guest (tests/vm/vm_test.ts); not named `*_test.ts` so the host's `deno test tests/`
 * skips it.
 *
 * Seeds are fixed and printed; `NETFORM_DIFF_SEED` and `NETFORM_DIFF_RUNS` override them (and
 * `NETFORM_DIFF_KINDS=bridge,veth,macvlan` restricts the link kinds, for a kernel without ipvlan
 * or dummy). A failure prints the shrunk counterexample and the seed to replay it.
 */
import fc from "fast-check";
import type { LinkSpec } from "../../../src/model/operations.ts";
import { uniquePrefix } from "../../live/_unique.ts";
import { note } from "./_lib.ts";
import {
  kindsOf,
  operationsCase,
  operationsProperty,
  settings,
  topologyProperty,
} from "./_differential.ts";
import { SEQUENCES } from "./_sequences.ts";

const KINDS = (Deno.env.get("NETFORM_DIFF_KINDS")?.split(",") as LinkSpec["kind"][] | undefined) ??
  kindsOf({ ipvlan: true, dummy: true });
/**
 * Random cases in all (`NETFORM_DIFF_RUNS`), a fifth of them topologies, and the seed
 * (`NETFORM_DIFF_SEED`; the operations use seed + 1).
 */
const { seed: SEED, runs: RUNS } = settings({ seed: 4242, runs: 250 });
const TOPOLOGY_RUNS = Math.ceil(RUNS / 5);

/**
 * Runs one property; its time (shrinking included) is bounded by `msPerCase` per case, about
 * three times what a case takes under TCG, so a run that hangs fails instead of stalling.
 */
async function check<T>(
  what: string,
  property: fc.IAsyncPropertyWithHooks<[T]> | fc.IAsyncProperty<[T]>,
  options: { seed: number; runs: number; msPerCase: number },
): Promise<void> {
  const { seed, runs } = options;
  const started = performance.now();
  const result = await fc.check(property, {
    seed,
    numRuns: runs,
    interruptAfterTimeLimit: Math.max(60_000, runs * options.msPerCase),
    markInterruptAsFailure: true,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  await note(
    `differential ${what}: seed ${seed}, ${result.numRuns} cases (${result.numShrinks} shrinks) ` +
      `in ${seconds} s${result.failed ? " FAILED" : ""}`,
  );
  if (result.failed) {
    const cause = result.errorInstance instanceof Error ? result.errorInstance.message : "";
    throw new Error(`${fc.defaultReportMessage(result) ?? `${what}: failed`}\n${cause}`);
  }
}

Deno.test("differential: random valid topologies end in the same state on the kernel and the simulator", async () => {
  await check("topologies", topologyProperty(uniquePrefix("dft")), {
    seed: SEED,
    runs: TOPOLOGY_RUNS,
    msPerCase: 5_000,
  });
});

Deno.test("differential: random raw operations have the same outcome on the kernel and the simulator", async () => {
  await check("operations", operationsProperty(KINDS, uniquePrefix("dfo")), {
    seed: SEED + 1,
    runs: RUNS - TOPOLOGY_RUNS,
    msPerCase: 1_500,
  });
});

Deno.test("differential: fixed sequences (the kernel facts the simulator was corrected on)", async (t) => {
  const run = uniquePrefix("dfs");
  for (const [name, ops] of Object.entries(SEQUENCES)) {
    await t.step(name, () => operationsCase(ops, run));
  }
});
