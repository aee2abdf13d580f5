/**
 * Real-kernel tests: boots a QEMU guest with a stock Debian 6.1 kernel (which has ipvlan),
 * runs the guest suites in tests/vm/guest/ there, and turns each guest test into a step here.
 * Needs root (QEMU, and the setup installs Debian packages); see .ci/vm_setup.sh and vm/run.ts.
 * All networking happens inside the guest: the host's interfaces are never touched.
 */
import assert from "node:assert/strict";
import { denoTestJob, parseJunit, prepareVm, runInVm, warmDenoCache } from "../../vm/run.ts";

const isRoot = Deno.uid?.() === 0;
const GUEST_SUITES = [
  "tests/vm/guest/ipvlan_guest.ts",
  "tests/vm/guest/scenarios_guest.ts",
  "tests/vm/guest/examples_guest.ts",
  "tests/vm/guest/adopt_guest.ts",
  "tests/vm/guest/differential_guest.ts",
];
/** Passed on to the guest: the differential suite's seed and number of runs. */
const GUEST_ENV = Object.fromEntries(
  ["NETFORM_DIFF_SEED", "NETFORM_DIFF_RUNS"].flatMap((k) => {
    const v = Deno.env.get(k);
    return v === undefined ? [] : [[k, v]];
  }),
);
/**
 * The whole VM run (boot, the suites, poweroff); QEMU is killed when it passes. Generous: under
 * load the scenarios took up to 12 min; the differential suite's 250 random cases take 1–2.5 min
 * of it, and more cases get more time.
 */
const LIMIT_MS = 15 * 60_000 +
  Math.max(0, Number(GUEST_ENV["NETFORM_DIFF_RUNS"] ?? 250) - 250) * 3_000;

Deno.test({
  name: "ipvlan on a real kernel (QEMU guest): the guest suites pass",
  ignore: !isRoot,
  // QEMU is a child process whose pipes are read until it exits; runInVm always reaps it.
  sanitizeResources: false,
  async fn(t) {
    const started = performance.now();
    const image = await prepareVm();
    await warmDenoCache(GUEST_SUITES);
    const setupMs = Math.round(performance.now() - started);
    const result = await runInVm(
      { script: await denoTestJob(GUEST_SUITES, { env: GUEST_ENV }), timeoutMs: LIMIT_MS },
      image,
    );
    console.log(
      `vm: kernel ${image.kernelVersion}, setup ${setupMs} ms, boot ${result.bootMs} ms, ` +
        `run ${result.totalMs} ms, exit ${result.exitCode}${result.timedOut ? " (timed out)" : ""}`,
    );
    const notes = result.files["notes.txt"];
    if (notes) console.log(`vm notes:\n${notes}`);

    const junit = result.files["junit.xml"];
    const detail = () =>
      `exit ${result.exitCode}, timed out: ${result.timedOut}\n--- stdout\n${
        result.stdout.slice(-4000)
      }\n--- stderr\n${result.stderr.slice(-4000)}\n--- console\n${result.console.slice(-2000)}`;
    assert.ok(junit !== undefined, `the guest wrote no JUnit report: ${detail()}`);
    const cases = parseJunit(junit);
    assert.ok(cases.length > 0, `the guest's JUnit report lists no tests: ${detail()}`);
    for (const c of cases) {
      console.log(
        `vm: ${c.failure === undefined ? "ok" : "FAILED"} ${c.seconds.toFixed(1)} s  ${c.name}`,
      );
    }
    for (const c of cases) {
      await t.step({
        name: c.name,
        ignore: c.skipped,
        fn() {
          if (c.failure !== undefined) {
            throw new Error(`in the guest (${c.classname}):\n${c.failure}`);
          }
        },
      });
    }
    assert.equal(result.exitCode, 0, `the guest's deno test failed: ${detail()}`);
  },
});
