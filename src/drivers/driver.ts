/**
 * The one interface every driver implements. Nothing above the drivers knows
 * which one it talks to.
 *
 * @module
 */
import type { HostState } from "../model/state.ts";
import type { Operation } from "../model/operations.ts";
import { KernelError } from "../errors.ts";
import { hasNameTemplate, quote } from "../model/names.ts";

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

/**
 * Refuses a link creation whose name (or veth peer's name) has a `%`, before
 * anything is sent: the kernel would read it as a template and create the
 * link under another name (`x%d` becomes `x0`, see `hasNameTemplate`), which
 * the operation's later requests (alias, master, up) and its undo could not
 * find. Both drivers call it first, so they refuse alike.
 *
 * @throws {KernelError} `EINVAL`, as the kernel answers for every `%` but one `%d`.
 */
export function refuseNameTemplate(operation: Operation): void {
  if (operation.op !== "link.create") return;
  const { link } = operation;
  for (const name of [link.name, ...(link.peer ? [link.peer.name] : [])]) {
    if (hasNameTemplate(name)) {
      throw new KernelError(
        "EINVAL",
        `Cannot create link ${quote(link.name)} in namespace ${quote(link.namespace)}`,
        `The name ${quote(name)} has a "%", which the kernel reads as a template for another name`,
      );
    }
  }
}
