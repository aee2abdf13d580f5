/**
 * Loading the two inputs every command needs: the manifest and the driver.
 *
 * @module
 */
import { type DriverName, openDriver } from "../drivers/open.ts";
import type { Driver } from "../drivers/driver.ts";
import { loadManifest, type LoadManifestOptions } from "../manifest/load.ts";
import { parseMemory, parseTimeout } from "../manifest/limits.ts";
import type { Topology } from "../model/state.ts";
import type { Output } from "./output.ts";

/** Wraps the driver of each command (see `MainOptions.wrapDriver`); none by default. */
let driverWrapper: ((driver: Driver) => Driver) | undefined;

export function setDriverWrapper(wrap: ((driver: Driver) => Driver) | undefined): void {
  driverWrapper = wrap;
}

export async function openHost(
  out: Output,
  options: { driver: DriverName; state?: string; stateInit?: boolean },
): Promise<Driver> {
  const opened = await openDriver(options.driver, {
    ...(options.state === undefined ? {} : { state: options.state }),
    ...(options.stateInit ? { stateInit: true } : {}),
  });
  const driver = driverWrapper ? driverWrapper(opened) : opened;
  out.driver(driver);
  return driver;
}

/** Limits from the command line; they override the environment and the defaults. */
let manifestLimits: LoadManifestOptions = {};

/** Takes `--manifest-timeout` / `--manifest-memory`; throws UsageError on a bad value. */
export function setManifestLimits(
  options: { manifestTimeout?: string; manifestMemory?: string },
): void {
  manifestLimits = {
    ...(options.manifestTimeout !== undefined
      ? { timeoutMs: parseTimeout(options.manifestTimeout, "--manifest-timeout") }
      : {}),
    ...(options.manifestMemory !== undefined
      ? { memoryMb: parseMemory(options.manifestMemory, "--manifest-memory") }
      : {}),
  };
}

export function readManifest(file: string): Promise<Topology> {
  return loadManifest(file, manifestLimits);
}
