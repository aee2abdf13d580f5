/**
 * The targets, checked against one size's medians.
 *
 * @module
 */

/** A target and whether the measurement meets it. */
export interface Target {
  name: string;
  goal: string;
  value: string;
  met: boolean;
}

type Cases = Record<string, { medianMs: number }>;

const RATIOS: [name: string, numerator: string, denominator: string][] = [
  ["apply execute / ip -batch", "netform.apply.execute", "ip.batch.apply"],
  ["apply command / ip -batch", "netform.apply.command", "ip.batch.apply"],
  ["ip per operation / apply command", "ip.perop.apply", "netform.apply.command"],
  ["ip per operation / ip -batch", "ip.perop.apply", "ip.batch.apply"],
  ["converged plan work / ip -j dump", "netform.plan.converged.work", "ip.json.dump"],
  ["converged plan command / ip -j dump", "netform.plan.converged.command", "ip.json.dump"],
  ["observe / ip -j dump", "netform.observe", "ip.json.dump"],
  ["destroy execute / netns bulk delete", "netform.destroy.execute", "kernel.delete.netns"],
  ["destroy work / netns bulk delete", "netform.destroy.work", "kernel.delete.netns"],
  ["destroy command / netns bulk delete", "netform.destroy.command", "kernel.delete.netns"],
  ["destroy execute / lower device delete", "netform.destroy.execute", "kernel.delete.lower"],
  ["destroy execute / link group delete", "netform.destroy.execute", "kernel.delete.group"],
];

/** The named ratios between cases (numerator / denominator medians). */
export function ratiosOf(cases: Cases): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, a, b] of RATIOS) {
    const x = cases[a]?.medianMs;
    const y = cases[b]?.medianMs;
    if (x !== undefined && y !== undefined && y > 0) out[name] = x / y;
  }
  return out;
}

function ms(cases: Cases, name: string): number {
  return cases[name]?.medianMs ?? NaN;
}

/** Each target of the issue, at this size. */
export function evaluateTargets(cases: Cases, ratios: Record<string, number>): Target[] {
  const r = (name: string) => ratios[name] ?? NaN;
  const x = (v: number) => `${v.toFixed(2)}x`;
  const bulk = Math.min(
    ms(cases, "kernel.delete.netns"),
    ms(cases, "kernel.delete.lower"),
    ms(cases, "kernel.delete.group"),
  );
  const destroy = ms(cases, "netform.destroy.execute");
  return [
    {
      name: "apply: executing the plan vs ip -batch",
      goal: "<= 1.2x",
      value: x(r("apply execute / ip -batch")),
      met: r("apply execute / ip -batch") <= 1.2,
    },
    {
      name: "apply: whole command (start-up included) vs ip -batch",
      goal: "<= 2x",
      value: x(r("apply command / ip -batch")),
      met: r("apply command / ip -batch") <= 2,
    },
    {
      name: "apply: whole command vs one ip process per operation",
      goal: ">= 10x faster",
      value: `${r("ip per operation / apply command").toFixed(1)}x faster`,
      met: r("ip per operation / apply command") >= 10,
    },
    {
      name: "converged plan: work after start-up",
      goal: "< 100 ms",
      value: `${ms(cases, "netform.plan.converged.work").toFixed(1)} ms (CPU ${
        ms(cases, "netform.plan.converged.cpu").toFixed(1)
      } ms)`,
      met: ms(cases, "netform.plan.converged.work") < 100,
    },
    {
      name: "converged plan: work vs ip -j dump of the same namespaces",
      goal: "<= 2x",
      value: x(r("converged plan work / ip -j dump")),
      met: r("converged plan work / ip -j dump") <= 2,
    },
    {
      name: "destroy: executing the plan vs the fastest bulk path",
      goal: "<= 1.5x",
      value: `${x(destroy / bulk)} (${destroy.toFixed(1)} ms vs ${bulk.toFixed(1)} ms)`,
      met: destroy / bulk <= 1.5,
    },
  ];
}
