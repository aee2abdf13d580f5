/**
 * The simulated kernel driver (`sim`).
 *
 * @module
 */
export { openSimDriver, SimDriver } from "./driver.ts";
export { newNamespace, SimKernel } from "./kernel.ts";
export { observeState } from "./observe.ts";
export {
  defaultHost,
  parseSnapshot,
  serializeSnapshot,
  type Snapshot,
  SNAPSHOT_FORMAT_VERSION,
  SnapshotSchema,
  toSnapshot,
} from "./snapshot.ts";
export { kernelError, type SimErrno } from "./errors.ts";
export type {
  DevRef,
  IpvlanPortState,
  SimLink,
  SimLinkKind,
  SimNamespace,
  SimState,
} from "./types.ts";
