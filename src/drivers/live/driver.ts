/**
 * The `live` driver: the host's kernel, through rtnetlink (libnl over FFI). Needs root and
 * `--allow-ffi`. Load it with a dynamic import so the simulated path never loads FFI.
 *
 * Each namespace gets one `RouteSocket`, opened on first use and kept until `close()` (or until
 * the namespace is deleted). Link names are resolved with one link dump per namespace, cached
 * until the next observe: creating a link adds its name, its ifindex read when first asked for
 * (a name the cache misses dumps that namespace again), while a delete may cascade anywhere and
 * drops the whole cache, as does a refusal.
 *
 * @module
 */
import {
  createNamespace,
  deleteNamespace,
  ifinfomsg,
  NamespaceFds,
  readIfInfoMsg,
  removeStaleNamespaceFile,
  RouteSocket,
  RTM_DELLINK,
  RTM_GETLINK,
} from "../../../ffi/mod.ts";
import type { Request } from "../../../ffi/socket.ts";
import {
  attr,
  HEADER_SIZE,
  IFLA_GROUP,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  parseAttributes,
  readString,
  readU32,
  RTM_NEWLINK,
} from "../../../ffi/messages.ts";
import { KernelError, UsageError } from "../../errors.ts";
import { unsupportedKernel } from "../../model/kernel_release.ts";
import { type Driver, refuseNameTemplate, type RunFiles } from "../driver.ts";
import type { Operation } from "../../model/operations.ts";
import type { HostState } from "../../model/state.ts";
import { ROOT_NAMESPACE } from "../../model/names.ts";
import { isVanishedNamespace } from "./_vanished.ts";
import { type Batch, type LateBatch, type Resolver, type Step, stepFor } from "./requests.ts";

/** A cached name that exists, created by this driver, whose ifindex was not read yet. */
const UNKNOWN_IFINDEX = -1;

/** Where netform keeps its lock and records for the live host. */
export const RUN_DIR = "/run/netform";

/** A driver over the host's kernel. */
export class LiveDriver implements Driver {
  readonly name = "live";
  readonly description = "the host's kernel (netlink via libnl)";
  /** Under /run (a tmpfs), like /run/netns: it empties at boot, as the kernel objects do. */
  readonly runFiles: RunFiles = {
    what: "the host",
    lock: `${RUN_DIR}/lock`,
    intent: `${RUN_DIR}/intent.json`,
    pendingRevert: `${RUN_DIR}/pending-revert.json`,
  };

  #sockets = new Map<string, RouteSocket>();
  #links = new Map<string, Map<string, number>>();

  /** Reads the root namespace and every named one. */
  async observe(): Promise<HostState> {
    // Whoever planned from this observation may have seen links deleted and re-made by others
    // (`ip link del`) since the names were cached: an old ifindex would name nothing, or
    // something else.
    this.#links.clear();
    // Refused before anything is read (every command observes first): on an older kernel no
    // address could ever be owned. Here, not when the driver is opened, so that a manifest's
    // own error is reported first, before anything needs a permission on the host.
    const unsupported = unsupportedKernel(Deno.osRelease());
    if (unsupported !== undefined) {
      throw new UsageError(`Cannot use the live driver: ${unsupported}`);
    }
    const { observeHost } = await import("./observe.ts");
    return observeHost();
  }

  /** Executes one operation; throws `KernelError` (errno and extack) when the kernel refuses. */
  execute(operation: Operation): Promise<void> {
    try {
      this.#execute(operation);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The observed host as a simulator snapshot, for `--driver sim --state`: what the host looks
   * like in the model, rebuilt as a simulated kernel (see `kernelFromHostState` for what the
   * simulator cannot keep, such as a device's IFLA_INFO_KIND).
   */
  async snapshot(): Promise<string> {
    const { kernelFromHostState } = await import("../sim/from_state.ts");
    const { serializeSnapshot, toSnapshot } = await import("../sim/snapshot.ts");
    return serializeSnapshot(toSnapshot(kernelFromHostState(await this.observe())));
  }

  clearInterruptedNamespace(name: string): Promise<boolean> {
    try {
      return Promise.resolve(removeStaleNamespaceFile(name));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Closes every socket. Safe to call more than once. */
  close(): void {
    for (const s of this.#sockets.values()) s.close();
    this.#sockets.clear();
    this.#links.clear();
  }

  #execute(op: Operation): void {
    refuseNameTemplate(op);
    // A missing namespace is the first thing the kernel (and the simulator) can refuse: open it
    // before the request is built, whose own checks would otherwise answer first.
    const home = op.op === "link.create" ? op.link.namespace : op.namespace;
    if (!op.op.startsWith("namespace.")) this.#socket(home);
    const fds = new NamespaceFds();
    try {
      const resolver: Resolver = {
        ifindex: (ns, name) => this.#ifindex(ns, name),
        nameTaken: (ns, name) => (this.#links.get(ns) ?? this.#dumpLinks(ns)).has(name),
        namespaceFd: (ns) => fds.get(ns === ROOT_NAMESPACE ? null : ns),
      };
      // A name being created is not there now: a cached ifindex for it is stale.
      if (op.op === "link.create") {
        const { link } = op;
        this.#links.get(link.namespace)?.delete(link.name);
        if (link.peer) this.#links.get(link.peer.namespace)?.delete(link.peer.name);
      }
      this.#run(stepFor(op, resolver), resolver);
      if (op.op === "link.create") {
        // There now, under an ifindex not yet read: `#ifindex` dumps again when asked for it.
        const { link } = op;
        this.#links.get(link.namespace)?.set(link.name, UNKNOWN_IFINDEX);
        if (link.peer) this.#links.get(link.peer.namespace)?.set(link.peer.name, UNKNOWN_IFINDEX);
      }
    } catch (e) {
      // A refusal may leave the kernel otherwise than expected (a half-done setlink, an undo).
      this.#links.clear();
      throw e;
    } finally {
      fds.close();
      // A delete may cascade into other namespaces (veth peers, slaves, a namespace's links).
      if (op.op === "link.delete" || op.op === "namespace.delete") this.#links.clear();
    }
  }

  #run(step: Step, resolver: Resolver): void {
    switch (step.kind) {
      case "namespace.create":
        createNamespace(step.namespace);
        return;
      case "namespace.delete":
        this.#deleteNamespace(step.namespace);
        return;
      case "netlink":
        step.batches.forEach((batch, i) => {
          try {
            this.#send(batch, resolver);
          } catch (e) {
            if (i > 0 && step.undo) {
              try {
                this.#send(step.undo, resolver);
              } catch {
                // The original error matters more; the link stays for the next plan to see.
              }
            }
            throw e;
          }
        });
    }
  }

  #send(batch: Batch | LateBatch, resolver: Resolver): void {
    let requests: Request[];
    if ("build" in batch) {
      // Built from what the batches before it made: forget the names seen before them.
      this.#links.clear();
      requests = batch.build(resolver);
    } else requests = batch.requests;
    if (requests.length > 0) this.#socket(batch.namespace).transact(requests, { window: 1 });
  }

  /**
   * `ip netns del` drops the last name of the namespace; the kernel tears it down later, on a
   * workqueue, and its cascades with it. Most of that cascade stays inside the namespace and
   * needs nothing from us. What reaches outside must be synchronous, as the simulator's: a veth
   * takes its peer in another namespace, a lower device its slaves elsewhere. So the links that
   * can have dependents outside (every link with a kind except `lo`, ipvlan and macvlan slaves)
   * are deleted first, together, with one link group delete (`ip link del group`): one
   * unregister batch, not a grace period per link. Physical NICs have no kind and are left to
   * the kernel, which moves them back to the root namespace.
   */
  #deleteNamespace(name: string): void {
    if (name !== ROOT_NAMESPACE) {
      let socket: RouteSocket | undefined;
      try {
        socket = this.#socket(name);
      } catch (e) {
        if (!isVanishedNamespace(e)) throw e;
      }
      if (socket !== undefined) deleteLinksWithOutsideDependents(socket, name);
    }
    // Our socket holds a reference on the namespace: drop it before the name.
    this.#sockets.get(name)?.close();
    this.#sockets.delete(name);
    deleteNamespace(name);
  }

  #socket(namespace: string): RouteSocket {
    let socket = this.#sockets.get(namespace);
    if (socket === undefined) {
      socket = RouteSocket.open(namespace === ROOT_NAMESPACE ? null : namespace);
      this.#sockets.set(namespace, socket);
    }
    return socket;
  }

  /** The ifindex of `name` in `namespace`, from the cached dump; a miss dumps again once. */
  #ifindex(namespace: string, name: string): number | undefined {
    const cached = this.#links.get(namespace)?.get(name);
    if (cached !== undefined && cached !== UNKNOWN_IFINDEX) return cached;
    return this.#dumpLinks(namespace).get(name);
  }

  /** Name → ifindex of every link in `namespace`, from one dump. */
  #dumpLinks(namespace: string): Map<string, number> {
    const links = new Map<string, number>();
    for (const m of this.#socket(namespace).dump(RTM_GETLINK, ifinfomsg())) {
      const name = parseAttributes(m.payload, HEADER_SIZE.link).get(IFLA_IFNAME);
      if (name !== undefined) links.set(readString(name), readIfInfoMsg(m.payload).index);
    }
    this.#links.set(namespace, links);
    return links;
  }
}

/** Kinds whose devices never have dependents: slaves hang off a lower device, not the reverse. */
const LEAF_KINDS = new Set(["ipvlan", "macvlan"]);

/**
 * Deletes, in one link group delete, the links of the namespace behind `socket` that may have
 * dependents in other namespaces (see `#deleteNamespace`). Falls back to one delete per link
 * when a device in the group has no `dellink` (`EOPNOTSUPP` for the whole group).
 */
function deleteLinksWithOutsideDependents(socket: RouteSocket, namespace: string): void {
  const doomed: number[] = [];
  const groups = new Set<number>();
  for (const m of socket.dump(RTM_GETLINK, ifinfomsg())) {
    const attrs = parseAttributes(m.payload, HEADER_SIZE.link);
    const group = attrs.get(IFLA_GROUP);
    if (group !== undefined) groups.add(readU32(group));
    const info = attrs.get(IFLA_LINKINFO);
    const kindAttr = info === undefined ? undefined : parseAttributes(info).get(IFLA_INFO_KIND);
    const kind = kindAttr === undefined ? undefined : readString(kindAttr);
    if (kind !== undefined && !LEAF_KINDS.has(kind)) doomed.push(readIfInfoMsg(m.payload).index);
  }
  if (doomed.length === 0) return;
  let group = 0x4e460000; // "NF": any group no link in the namespace uses will do
  while (groups.has(group)) group++;
  const action = `Cannot delete the links of namespace "${namespace}"`;
  // Setting a group changes nothing else and cannot cascade: the requests go pipelined.
  socket.transact(doomed.map((index) => ({
    type: RTM_NEWLINK,
    flags: 0,
    header: ifinfomsg({ index }),
    attrs: [attr.u32(IFLA_GROUP, group)],
    action,
  })));
  try {
    socket.transact([{
      type: RTM_DELLINK,
      flags: 0,
      header: ifinfomsg(),
      attrs: [attr.u32(IFLA_GROUP, group)],
      action,
    }]);
  } catch (e) {
    if (!(e instanceof KernelError) || e.code !== "EOPNOTSUPP") throw e;
    for (const index of doomed) {
      try {
        socket.transact([{
          type: RTM_DELLINK,
          flags: 0,
          header: ifinfomsg({ index }),
          attrs: [],
          action,
        }]);
      } catch (e) {
        const code = e instanceof KernelError ? e.code : undefined;
        if (code !== "EOPNOTSUPP" && code !== "ENODEV") throw e;
      }
    }
  }
}

/** Opens the live driver (nothing touches the kernel before the first call). */
export function openLiveDriver(): LiveDriver {
  return new LiveDriver();
}
