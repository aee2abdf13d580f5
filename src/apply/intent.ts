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
import { writeDurably } from "../durable_file.ts";

interface IntentRecord {
  formatVersion: 1;
  pid: number;
  topology: string;
  started: string;
  /** Named namespaces the apply may create or delete. */
  namespaces: string[];
  /** Links the apply may create, veth peers included. */
  links: { namespace: string; name: string }[];
}

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
      await writeDurably(path, JSON.stringify(record, null, 2) + "\n");
    },
    async end(): Promise<void> {
      await Deno.remove(path).catch(() => {});
    },
  };
}

async function readRecord(path: string): Promise<IntentRecord | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    const data = JSON.parse(text) as IntentRecord;
    if (data.formatVersion !== 1 || !Array.isArray(data.links)) return undefined;
    return data;
  } catch {
    return undefined; // torn by a crash while it was written: it never got to step one
  }
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
 * module). Returns a line per thing done, for the user; none when there was
 * no record.
 */
export async function recoverInterrupted(path: string, driver: Driver): Promise<string[]> {
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
