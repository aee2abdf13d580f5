/**
 * Opening a driver by name. The live driver is loaded only when asked for, so
 * the simulated path never needs FFI permissions.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Driver } from "./driver.ts";

export type DriverName = "live" | "sim";

export interface OpenDriverOptions {
  /** sim: snapshot file to load and write back. */
  state?: string;
  /** sim: `state` does not exist yet; start from the default host (`--state-init`). */
  stateInit?: boolean;
}

export async function openDriver(
  name: DriverName,
  options: OpenDriverOptions = {},
): Promise<Driver> {
  if (name === "sim") {
    const { SimDriver } = await import("./sim/driver.ts");
    return await SimDriver.open(options.state, { init: options.stateInit ?? false });
  }
  if (options.state !== undefined) {
    throw new UsageError(`Cannot use --state with the live driver: it reads the host itself`);
  }
  if (options.stateInit) {
    throw new UsageError(`Cannot use --state-init with the live driver: it reads the host itself`);
  }
  const { LiveDriver } = await import("./live/driver.ts");
  return new LiveDriver();
}
