/**
 * `deno task bench --quick` end to end at a tiny size: the JSON has every case, with positive
 * numbers. A smoke check of the benchmark's machinery, not a timed test: nothing here compares
 * a time with a limit. Needs root, iproute2 and libnl (like tests/live).
 */
import assert from "node:assert/strict";
import { runBench } from "../../bench/run.ts";

const ignore = Deno.uid?.() !== 0 ||
  Deno.permissions.querySync({ name: "ffi" }).state !== "granted";

const CASES = [
  "netform.apply.command",
  "netform.apply.execute",
  "netform.apply.verify",
  "netform.plan.converged.command",
  "netform.plan.converged.work",
  "netform.observe",
  "netform.destroy.command",
  "netform.destroy.work",
  "netform.destroy.execute",
  "ip.batch.apply",
  "ip.perop.apply",
  "ip.json.dump",
  "kernel.delete.netns",
  "kernel.delete.lower",
  "kernel.delete.group",
  "netform.plan.converged.cpu",
  "host.namespaces",
];

Deno.test(
  { name: "the quick benchmark reports every case with positive medians", ignore },
  async () => {
    const before = benchNamespaces();
    const r = JSON.parse(JSON.stringify(await runBench(["--quick"])));
    assert.equal(r.formatVersion, 1);
    assert.equal(r.quick, true);
    assert.ok(Date.parse(r.date) > 0);
    assert.ok(r.machine.kernel.length > 0);
    assert.equal(r.sizes.length, 1);
    const size = r.sizes[0];
    assert.ok(size.steps > 0 && size.ipCommands >= size.steps);
    for (const name of CASES) {
      const c = size.cases[name];
      assert.ok(c !== undefined, `case ${name} is missing`);
      assert.equal(c.samplesMs.length, 1);
      assert.ok(c.medianMs > 0, `case ${name} is not positive: ${c.medianMs}`);
    }
    for (const [name, value] of Object.entries(size.ratios)) {
      assert.ok(typeof value === "number" && value > 0, `ratio ${name}: ${value}`);
    }
    assert.equal(size.targets.length, 6);
    for (const t of size.targets) assert.equal(typeof t.met, "boolean");
    const p = r.plannerScale;
    assert.ok(p.objects > 0 && p.steps > 0);
    for (
      const key of [
        "validateMs",
        "planCreateMs",
        "simApplyMs",
        "planConvergedMs",
        "planCreateCpuMs",
        "planConvergedCpuMs",
        "rssMB",
      ]
    ) {
      assert.ok(p[key] > 0, `plannerScale.${key}: ${p[key]}`);
    }
    assert.deepEqual(benchNamespaces().filter((n) => !before.includes(n)), [], "left behind");
  },
);

/** Namespaces named the way the benchmark names its own (`nfb…`). */
function benchNamespaces(): string[] {
  const out = new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith("nfb"));
}
