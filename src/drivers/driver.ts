/**
 * The one interface every driver implements. Nothing above the drivers knows
 * which one it talks to.
 *
 * @module
 */
import type { HostState } from "../model/state.ts";
import type { Operation } from "../model/operations.ts";

/** Files netform keeps for one host (or one simulator state file) between runs. */
export interface RunFiles {
  /** What they belong to, for messages: `the host`, `the state file "x.json"`. */
  what: string;
  /** flock'ed by whoever applies; holds the holder's pid. */
  lock: string;
  /** Write-ahead record of an apply in progress (crash recovery). */
  intent: string;
  /** An apply waiting to be confirmed, and how to revert it. */
  pendingRevert: string;
}

export interface Driver {
  /** `sim` or `live`; printed on the first line of every command. */
  readonly name: string;
  /** A one-line description of where the state lives (a snapshot file, the host). */
  readonly description: string;
  /** Reads the whole host: the root namespace and every named one. */
  observe(): Promise<HostState>;
  /** Executes one operation; throws `KernelError` when the kernel refuses it. */
  execute(operation: Operation): Promise<void>;
  /** The whole host as a sim snapshot (JSON text), to plan against later without root. */
  snapshot(): Promise<string>;
  /** Where the lock and the records live; none for a simulator kept only in memory. */
  readonly runFiles?: RunFiles;
  /**
   * Removes a namespace's name when no namespace is behind it (what a process
   * killed while creating or deleting it leaves). True when it removed one.
   */
  clearInterruptedNamespace?(name: string): Promise<boolean>;
  /** Reads persisted state again once the lock is held (the sim's snapshot file). */
  reload?(): Promise<void>;
  /** Persists state where the driver has any (the sim's snapshot file). */
  flush?(): Promise<void>;
  close?(): void;
}
