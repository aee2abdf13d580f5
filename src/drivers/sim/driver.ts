/**
 * The `sim` driver: the simulated kernel behind the `Driver` interface, kept
 * in a snapshot file between runs.
 *
 * @module
 */
import type { Driver, RunFiles } from "../driver.ts";
import type { Operation } from "../../model/operations.ts";
import type { HostState } from "../../model/state.ts";
import { UsageError } from "../../errors.ts";
import { writeDurably } from "../../durable_file.ts";
import type { SimKernel } from "./kernel.ts";
import { observeState } from "./observe.ts";
import {
  defaultHost,
  MAX_SNAPSHOT_BYTES,
  parseSnapshot,
  serializeSnapshot,
  toSnapshot,
} from "./snapshot.ts";

/** A driver over an in-memory {@linkcode SimKernel}. */
export class SimDriver implements Driver {
  readonly name = "sim";
  readonly description: string;
  readonly runFiles?: RunFiles;

  /** `stateFile`: where `flush()` writes the snapshot; none keeps it in memory. */
  constructor(public kernel: SimKernel, readonly stateFile?: string) {
    this.description = stateFile
      ? `simulated kernel in "${stateFile}"`
      : "simulated kernel in memory";
    if (stateFile) {
      this.runFiles = {
        what: `the state file "${stateFile}"`,
        lock: `${stateFile}.lock`,
        intent: `${stateFile}.intent.json`,
        pendingRevert: `${stateFile}.pending-revert.json`,
      };
    }
  }

  /**
   * Opens a simulator: no file → the default host in memory; a missing file →
   * the default host, written by `flush()`; an existing file → its snapshot.
   */
  static async open(stateFile?: string): Promise<SimDriver> {
    if (stateFile === undefined) return new SimDriver(defaultHost());
    let text: string;
    try {
      // Checked before reading, so a huge file is refused without loading it.
      const { size } = await Deno.stat(stateFile);
      if (size > MAX_SNAPSHOT_BYTES) {
        throw new UsageError(
          `Invalid snapshot "${stateFile}": the file is ${
            (size / 1024 / 1024).toFixed(1)
          } MiB, larger than ${MAX_SNAPSHOT_BYTES / 1024 / 1024} MiB; is it the right file?`,
        );
      }
      text = await Deno.readTextFile(stateFile);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (e instanceof Deno.errors.NotFound) return new SimDriver(defaultHost(), stateFile);
      throw new UsageError(`Cannot read snapshot "${stateFile}": ${(e as Error).message}`, {
        cause: e,
      });
    }
    return new SimDriver(parseSnapshot(text, stateFile), stateFile);
  }

  /**
   * Reads the state file again: what another netform wrote while this one
   * waited for the lock. Called once the lock is held.
   */
  async reload(): Promise<void> {
    if (this.stateFile === undefined) return;
    this.kernel = (await SimDriver.open(this.stateFile)).kernel;
  }

  observe(): Promise<HostState> {
    return Promise.resolve(observeState(this.kernel.view));
  }

  execute(operation: Operation): Promise<void> {
    try {
      this.kernel.execute(operation);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  snapshot(): Promise<string> {
    return Promise.resolve(serializeSnapshot(toSnapshot(this.kernel)));
  }

  /**
   * Writes the snapshot (stable key order, 2-space JSON, trailing newline)
   * durably, so a process killed while writing leaves the old snapshot whole.
   */
  async flush(): Promise<void> {
    if (this.stateFile === undefined) return;
    await writeDurably(this.stateFile, serializeSnapshot(toSnapshot(this.kernel)));
  }
}

/** Same as {@linkcode SimDriver.open}. */
export function openSimDriver(stateFile?: string): Promise<SimDriver> {
  return SimDriver.open(stateFile);
}
