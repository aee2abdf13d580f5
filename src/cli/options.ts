/**
 * Options shared by the commands that talk to a driver.
 *
 * @module
 */
import { Option } from "@commander-js/extra-typings";

export const driverOption = () =>
  new Option("--driver <name>", "where state lives: the live kernel or the simulated one")
    .choices(["live", "sim"] as const)
    .default("live" as const);

export const stateOption = () =>
  new Option(
    "--state <file>",
    "sim driver: snapshot to load and write back (created when missing)",
  );

export const jsonOption = () => new Option("--json", "print machine-readable JSON");
