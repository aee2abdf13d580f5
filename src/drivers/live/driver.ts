/**
 * The `live` driver: the host's kernel, through rtnetlink (libnl over FFI). Needs root and
 * `--allow-ffi`. Load it with a dynamic import so the simulated path never loads FFI.
 *
 * Each namespace gets one `RouteSocket`, opened on first use and kept until `close()` (or until
 * the namespace is deleted). Link names are resolved with one link dump per namespace, cached
 * until a link is created or deleted anywhere.
 *
 * @module
 */
import {
  createNamespace,
  deleteNamespace,
  ifinfomsg,
  readIfInfoMsg,
  RouteSocket,
  RTM_DELLINK,
  RTM_GETLINK,
} from "../../../ffi/mod.ts";
import type { Request } from "../../../ffi/socket.ts";
import { HEADER_SIZE, IFLA_IFNAME, parseAttributes, readString } from "../../../ffi/messages.ts";
import { KernelError } from "../../errors.ts";
import type { Driver } from "../driver.ts";
import type { Operation } from "../../model/operations.ts";
import type { HostState } from "../../model/state.ts";
import { ROOT_NAMESPACE } from "../../model/names.ts";
import { isVanishedNamespace, NamespaceFds } from "./_nsfd.ts";
import { type Batch, type LateBatch, type Resolver, type Step, stepFor } from "./requests.ts";

/** A driver over the host's kernel. */
export class LiveDriver implements Driver {
  readonly name = "live";
  readonly description = "the host's kernel (netlink via libnl)";

  #sockets = new Map<string, RouteSocket>();
  #links = new Map<string, Map<string, number>>();

  /** Reads the root namespace and every named one. */
  async observe(): Promise<HostState> {
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

  /** Closes every socket. Safe to call more than once. */
  close(): void {
    for (const s of this.#sockets.values()) s.close();
    this.#sockets.clear();
    this.#links.clear();
  }

  #execute(op: Operation): void {
    // A missing namespace is the first thing the kernel (and the simulator) can refuse: open it
    // before the request is built, whose own checks would otherwise answer first.
    const home = op.op === "link.create" ? op.link.namespace : op.namespace;
    if (!op.op.startsWith("namespace.")) this.#socket(home);
    const fds = new NamespaceFds();
    try {
      const resolver: Resolver = {
        ifindex: (ns, name) => this.#ifindexes(ns).get(name),
        namespaceFd: (ns) => fds.get(ns),
      };
      this.#run(stepFor(op, resolver), resolver);
    } finally {
      fds.close();
      // Creating or deleting a link (or a namespace) may change links in other namespaces.
      if (op.op !== "link.update" && /^(link|namespace)\./.test(op.op)) this.#links.clear();
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
   * workqueue. To make the cascade synchronous (as the simulator's), the links in it are
   * deleted first: a veth takes its peer in another namespace, a lower device its macvlans.
   * Devices without `dellink` (`lo`, physical NICs) refuse with `EOPNOTSUPP` and are left to
   * the kernel (which moves NICs back to the root namespace).
   */
  #deleteNamespace(name: string): void {
    if (name !== ROOT_NAMESPACE) {
      let socket: RouteSocket | undefined;
      try {
        socket = this.#socket(name);
      } catch (e) {
        if (!isVanishedNamespace(e)) throw e;
      }
      if (socket !== undefined) {
        for (const m of socket.dump(RTM_GETLINK, ifinfomsg())) {
          const index = readIfInfoMsg(m.payload).index;
          try {
            socket.transact([{
              type: RTM_DELLINK,
              flags: 0,
              header: ifinfomsg({ index }),
              attrs: [],
              action: `Cannot delete link ${index} in namespace "${name}"`,
            }]);
          } catch (e) {
            const code = e instanceof KernelError ? e.code : undefined;
            if (code !== "EOPNOTSUPP" && code !== "ENODEV") throw e;
          }
        }
      }
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

  /** Name → ifindex of every link in `namespace`, from one dump (cached). */
  #ifindexes(namespace: string): Map<string, number> {
    let links = this.#links.get(namespace);
    if (links === undefined) {
      links = new Map();
      for (const m of this.#socket(namespace).dump(RTM_GETLINK, ifinfomsg())) {
        const name = parseAttributes(m.payload, HEADER_SIZE.link).get(IFLA_IFNAME);
        if (name !== undefined) links.set(readString(name), readIfInfoMsg(m.payload).index);
      }
      this.#links.set(namespace, links);
    }
    return links;
  }
}

/** Opens the live driver (nothing touches the kernel before the first call). */
export function openLiveDriver(): LiveDriver {
  return new LiveDriver();
}
