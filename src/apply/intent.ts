/**
 * Crash recovery: a write-ahead record of what an apply may create.
 *
 * Ownership markers live on the kernel objects, but two of them cannot be
 * written in the message that creates the object: the kernel ignores
 * IFLA_IFALIAS in RTM_NEWLINK for a new link (rtnl_create_link never reads
 * it; only do_setlink does), and a namespace's marker is the alias of its
 * `lo`, which exists only once the namespace does. A netform killed between
 * the two leaves an unmarked object that no topology would own, so `destroy`
 * would leave it behind. (Addresses and routes carry their marker, IFA_PROTO
 * and the route protocol, in the creating message, so they have no window.)
 *
 * So before the first step, the apply writes (and fsyncs) the list of
 * namespaces and links it may create, its undo steps included, and removes the
 * record when it is over. The next netform that takes the lock and finds a
 * record knows its writer died: every recorded object that exists without
 * any alias was made by it, and is marked as the record's topology's. A
 * namespace file under /run/netns with no namespace mounted on it (killed
 * between creating the file and mounting, or between unmounting and
 * unlinking) is removed. Then the record is deleted, and planning proceeds
 * from a host where nothing is unmarked.
 *
 * @module
 */
import type { Driver } from "../drivers/driver.ts";
import { ownerAlias } from "../model/names.ts";
import type { Operation } from "../model/operations.ts";
import type { HostState } from "../model/state.ts";
import type { IntentLog } from "./apply.ts";
import { describeOperation } from "./describe.ts";
import { z } from "zod";
import { sweepStaleTemporaries, writeDurably } from "../durable_file.ts";
import { UsageError } from "../errors.ts";
import { readJsonFile } from "../read_json_file.ts";
import { formatJsonPath } from "../strict_json.ts";

const IntentRecordSchema = z.strictObject({
  formatVersion: z.literal(1),
  pid: z.number().int(),
  topology: z.string(),
  started: z.string(),
  /** Named namespaces the apply may create or delete. */
  namespaces: z.array(z.string()),
  /** Links the apply may create, veth peers included. */
  links: z.array(z.strictObject({ namespace: z.string(), name: z.string() })),
});
type IntentRecord = z.infer<typeof IntentRecordSchema>;

/** Largest record read: far above a real one (a 10 000-link apply's is about 1 MiB). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** An {@linkcode IntentLog} kept in `path`. */
export function intentFile(path: string, topology: string): IntentLog {
  return {
    async begin(operations: readonly Operation[]): Promise<void> {
      const record: IntentRecord = {
        formatVersion: 1,
        pid: Deno.pid,
        topology,
        started: new Date().toISOString(),
        namespaces: [],
        links: [],
      };
      for (const op of operations) {
        if (op.op === "namespace.create" || op.op === "namespace.delete") {
          record.namespaces.push(op.namespace);
        }
        if (op.op === "link.create") {
          record.links.push({ namespace: op.link.namespace, name: op.link.name });
          if (op.link.peer) {
            record.links.push({ namespace: op.link.peer.namespace, name: op.link.peer.name });
          }
        }
      }
      await writeDurably(path, JSON.stringify(record, null, 2) + "\n", {
        what: "the intent record",
      });
    },
    async end(): Promise<void> {
      await Deno.remove(path).catch(() => {});
    },
  };
}

/**
 * The record, if there is one. A record netform cannot read is refused rather
 * than ignored: it names objects a killed apply may have left unmarked. (It
 * cannot be torn: it is written durably.)
 */
async function readRecord(path: string): Promise<IntentRecord | undefined> {
  const fail = (detail: string): never => {
    throw new UsageError(
      `Cannot read the intent record "${path}": ${detail}; netform writes it before an apply ` +
        `and removes it after: if no netform is running, remove it and run again`,
    );
  };
  const read = await readJsonFile(path, MAX_RECORD_BYTES);
  if (read.kind === "missing") return undefined;
  if (read.kind === "refused") return fail(read.detail);
  const parsed = IntentRecordSchema.safeParse(read.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(`${formatJsonPath(issue.path)}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The marking operations a record calls for on `observed`: alias on each
 * recorded link (and each recorded namespace's `lo`) that has none.
 */
export function orphanMarks(
  observed: HostState,
  record: Pick<IntentRecord, "topology" | "namespaces" | "links">,
): Operation[] {
  const alias = ownerAlias(record.topology);
  const ops: Operation[] = [];
  const seen = new Set<string>();
  const mark = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const link = observed.namespaces[namespace]?.links[name];
    if (link && link.alias === undefined) {
      ops.push({ op: "link.update", namespace, name, changes: { alias } });
    }
  };
  for (const namespace of record.namespaces) mark(namespace, "lo");
  for (const l of record.links) mark(l.namespace, l.name);
  return ops;
}

/**
 * Called with the lock held: finishes what a killed apply left (see the
 * module), its record's stale temporary files included. Returns a line per thing done, for the user; none when there was
 * no record.
 */
export async function recoverInterrupted(path: string, driver: Driver): Promise<string[]> {
  // With the lock held, no other netform writes the record: a temporary copy is a dead writer's.
  await sweepStaleTemporaries(path);
  const record = await readRecord(path);
  if (record === undefined) {
    await Deno.remove(path).catch(() => {});
    return [];
  }
  const lines: string[] = [];
  for (const namespace of new Set(record.namespaces)) {
    if (await driver.clearInterruptedNamespace?.(namespace)) {
      lines.push(`removed the namespace file of "${namespace}", which has no namespace on it`);
    }
  }
  for (const op of orphanMarks(await driver.observe(), record)) {
    await driver.execute(op);
    lines.push(`${describeOperation(op)} (made but not yet marked as owned)`);
  }
  await driver.flush?.();
  await Deno.remove(path).catch(() => {});
  const head = `Recovered from an apply of topology "${record.topology}" that did not finish ` +
    `(pid ${record.pid}, started ${record.started})`;
  return [lines.length === 0 ? `${head}: nothing was left half-made.` : `${head}:`, ...lines];
}

/** Reads the record without acting on it (for `plan`, which takes no lock and changes nothing). */
export async function pendingIntent(
  path: string,
): Promise<Pick<IntentRecord, "topology" | "namespaces" | "links" | "pid"> | undefined> {
  return await readRecord(path);
}
