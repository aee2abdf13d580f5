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
}

export async function openDriver(
  name: DriverName,
  options: OpenDriverOptions = {},
): Promise<Driver> {
  if (name === "sim") {
    const { SimDriver } = await import("./sim/driver.ts");
    return await SimDriver.open(options.state);
  }
  if (options.state !== undefined) {
    throw new UsageError(`Cannot use --state with the live driver: it reads the host itself`);
  }
  const { LiveDriver } = await import("./live/driver.ts");
  return new LiveDriver();
}
