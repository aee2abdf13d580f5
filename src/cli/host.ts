/**
 * Loading the two inputs every command needs: the manifest and the driver.
 *
 * @module
 */
import { type DriverName, openDriver } from "../drivers/open.ts";
import type { Driver } from "../drivers/driver.ts";
import { loadManifest } from "../manifest/load.ts";
import type { Topology } from "../model/state.ts";
import type { Output } from "./output.ts";

export async function openHost(
  out: Output,
  options: { driver: DriverName; state?: string },
): Promise<Driver> {
  const driver = await openDriver(
    options.driver,
    options.state === undefined ? {} : { state: options.state },
  );
  out.driver(driver);
  return driver;
}

export function readManifest(file: string): Promise<Topology> {
  return loadManifest(file);
}
