/**
 * Options shared by the commands that talk to a driver.
 *
 * @module
 */
import { Option } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";

export const driverOption = () =>
  new Option("--driver <name>", "where state lives: the live kernel or the simulated one")
    .choices(["live", "sim"] as const)
    .default("live" as const);

export const stateOption = () =>
  new Option("--state <file>", "sim driver: snapshot to load and write back (must exist)");

/** A missing `--state` file is an error (a typo must not plan against a fresh host); this opts in. */
export const stateInitOption = () =>
  new Option(
    "--state-init",
    "sim driver: the --state file does not exist yet; start from a fresh default host",
  );

export const jsonOption = () => new Option("--json", "print machine-readable JSON");

export const lockTimeoutOption = () =>
  new Option(
    "--lock-timeout <duration>",
    "wait this long for another netform applying to the same host (or state file), e.g. 30s",
  ).default("0s");

export const cascadeOption = () =>
  new Option(
    "--allow-cascade-foreign",
    "let the kernel delete or change objects this topology does not own along with its own " +
      "(listed in the plan); without it such a plan is refused",
  );

/** Parses `60s`, `2m`, `500ms`, `1h` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new UsageError(
      `Invalid ${option} "${text}": expected a duration such as 30s, 2m or 500ms`,
    );
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}
