/**
 * The `sim` driver: the simulated kernel behind the `Driver` interface, kept
 * in a snapshot file between runs.
 *
 * @module
 */
import { type Driver, refuseNameTemplate, type RunFiles } from "../driver.ts";
import type { Operation } from "../../model/operations.ts";
import type { HostState } from "../../model/state.ts";
import { UsageError } from "../../errors.ts";
import { dirname } from "node:path";
import {
  checkWritable,
  describeWriteFailure,
  followLinks,
  sweepStaleTemporaries,
  writeDurably,
} from "../../durable_file.ts";
import { readRegularFile } from "../../read_regular_file.ts";
import type { SimKernel } from "./kernel.ts";
import { observeState } from "./observe.ts";
import {
  defaultHost,
  MAX_SNAPSHOT_BYTES,
  parseSnapshot,
  serializeSnapshot,
  toSnapshot,
} from "./snapshot.ts";

/** Options of {@linkcode SimDriver.open}. */
export interface SimOpenOptions {
  /**
   * Start from the default fresh host (`--state-init`): the state file must
   * not exist yet (so a mistyped path cannot replace a real state); it is
   * written by the first `flush()`. Default false: a missing file is an error.
   */
  init?: boolean;
}

/** A driver over an in-memory {@linkcode SimKernel}. */
export class SimDriver implements Driver {
  readonly name = "sim";
  readonly description: string;
  readonly runFiles?: RunFiles;
  readonly #init: boolean;

  /**
   * `stateFile`: where `flush()` writes the snapshot; none keeps it in memory.
   * `runFilesAt`: where the lock and records go (`stateFile` with its links
   * followed, so two links to one state share one lock).
   */
  constructor(
    public kernel: SimKernel,
    readonly stateFile?: string,
    options: SimOpenOptions & { runFilesAt?: string } = {},
  ) {
    this.#init = options.init ?? false;
    this.description = stateFile
      ? `simulated kernel in "${stateFile}"`
      : "simulated kernel in memory";
    if (stateFile) {
      const at = options.runFilesAt ?? stateFile;
      this.runFiles = {
        what: `the state file "${stateFile}"`,
        lock: `${at}.lock`,
        intent: `${at}.intent.json`,
        pendingRevert: `${at}.pending-revert.json`,
      };
    }
  }

  /**
   * Opens a simulator: no file → the default host in memory; an existing
   * file → its snapshot; a missing file → an error, unless `init` (then the
   * default host, written by `flush()`).
   *
   * @throws {UsageError} naming the file and the fix: missing (without
   * `init`), existing (with `init`), not a regular file, unreadable, invalid.
   */
  static async open(stateFile?: string, options: SimOpenOptions = {}): Promise<SimDriver> {
    const init = options.init ?? false;
    if (stateFile === undefined) {
      if (init) {
        throw new UsageError(
          "Cannot use --state-init without --state: pass --state FILE to name the new state file",
        );
      }
      return new SimDriver(defaultHost());
    }
    const kernel = await loadState(stateFile, { init, reloading: false });
    const runFilesAt = await followLinks(stateFile, `the state file "${stateFile}"`);
    return new SimDriver(kernel, stateFile, { init, runFilesAt });
  }

  /**
   * Reads the state file again: what another netform wrote while this one
   * waited for the lock. Called once the lock is held, so it also checks the
   * file can be written and removes what killed writers of it left (see
   * `durable_file.ts`).
   */
  async reload(): Promise<void> {
    if (this.stateFile === undefined) return;
    this.kernel = await loadState(this.stateFile, { init: this.#init, reloading: true });
    // Before anything is planned: a state file that cannot take the result is refused now,
    // not once the apply has run.
    const { target } = await checkWritable(this.stateFile, { what: "the state file" });
    await sweepStaleTemporaries(target);
  }

  observe(): Promise<HostState> {
    return Promise.resolve(observeState(this.kernel.view));
  }

  execute(operation: Operation): Promise<void> {
    try {
      refuseNameTemplate(operation);
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
    try {
      await writeDurably(this.stateFile, serializeSnapshot(toSnapshot(this.kernel)), {
        what: "the state file",
      });
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      // The simulated host is the file: what was not written did not happen.
      throw new UsageError(`${e.message}; nothing was saved, the file is as it was`, {
        cause: e,
      });
    }
  }
}

/** Same as {@linkcode SimDriver.open}. */
export function openSimDriver(stateFile?: string, options?: SimOpenOptions): Promise<SimDriver> {
  return SimDriver.open(stateFile, options);
}

/**
 * The kernel a state file holds. `reloading`: under the lock, after `open`
 * checked the file; with `init` the file may meanwhile have been written by
 * another netform (whose result we then plan against).
 */
async function loadState(
  file: string,
  options: { init: boolean; reloading: boolean },
): Promise<SimKernel> {
  const read = await readRegularFile(file, MAX_SNAPSHOT_BYTES);
  switch (read.kind) {
    case "missing":
      if (!options.init) {
        throw new UsageError(
          `Cannot open the state file "${file}": it does not exist; check the path, or pass ` +
            `--state-init to start a fresh default host in it`,
        );
      }
      if (!options.reloading) await assertDirectory(file);
      return defaultHost();
    case "too-large":
      throw new UsageError(`Invalid snapshot "${file}": ${read.detail}`);
    case "refused":
      throw new UsageError(
        `Cannot read the state file "${file}": ${read.detail}; pass --state the path of a ` +
          `snapshot file`,
      );
    case "read":
      if (options.init && !options.reloading) {
        throw new UsageError(
          `Cannot start a fresh state in "${file}": the file exists already; drop --state-init ` +
            `to use it, or remove it first`,
        );
      }
      return parseSnapshot(read.text, file);
  }
}

/** Refuses `--state-init` where the new file could not be written: its directory is missing. */
async function assertDirectory(file: string): Promise<void> {
  const dir = dirname(await followLinks(file));
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? `the directory "${dir}" does not exist; create it, or check the path`
      : describeWriteFailure(e, file);
    throw new UsageError(`Cannot start a fresh state in "${file}": ${reason}`, { cause: e });
  }
  if (!info.isDirectory) {
    throw new UsageError(
      `Cannot start a fresh state in "${file}": "${dir}" is not a directory; check the path`,
    );
  }
}
