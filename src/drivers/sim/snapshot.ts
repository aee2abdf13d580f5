/**
 * The simulator's state file: a versioned JSON snapshot of the whole kernel
 * state, validated on load, written with a stable key order.
 *
 * @module
 */
import { z } from "zod";
import { UsageError } from "../../errors.ts";
import { describeJsonError } from "../../read_json_file.ts";
import { DuplicateKeyError, formatJsonPath, parseStrictJson } from "../../strict_json.ts";
import {
  AddressSchema,
  IPVLAN_FLAGS,
  IPVLAN_MODES,
  MACVLAN_MODES,
  RouteSchema,
} from "../../model/state.ts";
import { ROOT_NAMESPACE } from "../../model/names.ts";
import { SimKernel } from "./kernel.ts";
import { snapshotIssues } from "./snapshot_checks.ts";
import { SIM_LINK_KINDS, type SimState } from "./types.ts";

/** Version of the snapshot format; bump on incompatible changes. */
export const SNAPSHOT_FORMAT_VERSION = 1;

/** Largest snapshot file read: far above any host's (a 10 000-link host is about 5 MiB). */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

/** Problems listed in an error before "and N more". */
const MAX_ISSUES = 5;

const DevRefSchema = z.strictObject({
  namespace: z.string(),
  ifindex: z.number().int().min(1),
});

const SimLinkSchema = z.strictObject({
  ifindex: z.number().int().min(1),
  name: z.string().min(1),
  kind: z.enum(SIM_LINK_KINDS),
  type: z.string().optional(),
  mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
  mtu: z.number().int().min(0).max(65536),
  up: z.boolean(),
  noarp: z.boolean(),
  alias: z.string().optional(),
  master: z.number().int().min(1).optional(),
  mtuSetByUser: z.boolean().optional(),
  noInet: z.boolean().optional(),
  parent: DevRefSchema.optional(),
  peer: DevRefSchema.optional(),
  macvlanMode: z.enum(MACVLAN_MODES).optional(),
  devId: z.number().int().min(1).optional(),
  ipvlanPort: z.strictObject({
    mode: z.enum(IPVLAN_MODES),
    flags: z.enum(IPVLAN_FLAGS),
    nextDevId: z.number().int().min(1),
  }).optional(),
  addresses: z.array(AddressSchema),
});

const SimNamespaceSchema = z.strictObject({
  nextIfindex: z.number().int().min(2),
  links: z.array(SimLinkSchema),
  routes: z.array(RouteSchema),
});

/** Schema of a snapshot file. */
export const SnapshotSchema = z.strictObject({
  formatVersion: z.literal(SNAPSHOT_FORMAT_VERSION),
  macSeq: z.number().int().min(1),
  kernelRelease: z.string().min(1).max(64).optional(),
  namespaces: z.record(z.string(), SimNamespaceSchema),
}).refine((s) => ROOT_NAMESPACE in s.namespaces, {
  message: `the "${ROOT_NAMESPACE}" namespace is missing`,
  path: ["namespaces"],
});

/** A snapshot as stored. */
export type Snapshot = { formatVersion: typeof SNAPSHOT_FORMAT_VERSION } & SimState;

/** The host a fresh simulator starts from: root with `lo` up and a physical `eth0`. */
export function defaultHost(): SimKernel {
  const kernel = new SimKernel();
  kernel.updateLink(ROOT_NAMESPACE, "lo", { up: true });
  kernel.addPhysical(ROOT_NAMESPACE, "eth0", { mac: "52:54:00:12:34:56", mtu: 1500, up: true });
  return kernel;
}

/** The snapshot of a kernel's state. */
export function toSnapshot(kernel: SimKernel): Snapshot {
  const state = kernel.state;
  return {
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    macSeq: state.macSeq,
    ...(state.kernelRelease !== undefined ? { kernelRelease: state.kernelRelease } : {}),
    namespaces: state.namespaces,
  };
}

/** Serializes with sorted keys, 2-space indent and a trailing newline, so files diff well. */
export function serializeSnapshot(snapshot: Snapshot): string {
  return JSON.stringify(sortKeys(snapshot), null, 2) + "\n";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/**
 * Parses and validates a snapshot: its JSON, its schema, then the references
 * between its devices. Errors name the file and the JSON path at fault.
 */
export function parseSnapshot(text: string, file: string): SimKernel {
  const fail = (problems: string[]): never => {
    const shown = problems.slice(0, MAX_ISSUES);
    const more = problems.length > MAX_ISSUES ? `; and ${problems.length - MAX_ISSUES} more` : "";
    throw new UsageError(
      `Invalid snapshot "${file}": ${shown.join("; ")}${more}; ` +
        `fix the file, or capture a new one with \`netform snapshot --out ${file}\``,
    );
  };
  if (text.length > MAX_SNAPSHOT_BYTES) {
    fail([`$: the file is larger than ${MAX_SNAPSHOT_BYTES / 1024 / 1024} MiB`]);
  }
  let data: unknown;
  try {
    data = parseStrictJson(text);
  } catch (e) {
    if (e instanceof DuplicateKeyError) fail([describeJsonError(e)]);
    throw new UsageError(`Invalid snapshot "${file}": not JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const version = (data as { formatVersion?: unknown } | null)?.formatVersion;
  if (
    typeof data === "object" && data !== null && !Array.isArray(data) && version !== undefined &&
    version !== SNAPSHOT_FORMAT_VERSION
  ) {
    fail([
      `$.formatVersion: ${
        JSON.stringify(version)
      } is not a snapshot format this netform reads (it reads ${SNAPSHOT_FORMAT_VERSION})`,
    ]);
  }
  const result = SnapshotSchema.safeParse(data);
  if (!result.success) {
    fail(result.error.issues.map((i) => `${formatJsonPath(i.path)}: ${i.message}`));
  }
  const { formatVersion: _version, ...state } = result.data!;
  const issues = snapshotIssues(state as SimState);
  if (issues.length > 0) fail(issues.map((i) => `${formatJsonPath(i.path)}: ${i.message}`));
  return new SimKernel(state as SimState);
}
