/**
 * The one interface every driver implements. Nothing above the drivers knows
 * which one it talks to.
 *
 * @module
 */
import type { HostState } from "../model/state.ts";
import type { Operation } from "../model/operations.ts";

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
  /** Persists state where the driver has any (the sim's snapshot file). */
  flush?(): Promise<void>;
  close?(): void;
}
