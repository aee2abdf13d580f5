/** Shared setup for the simulator tests. */
import assert from "node:assert/strict";
import { KernelError } from "../../../src/errors.ts";
import type { LinkSpec, Operation } from "../../../src/model/operations.ts";
import type { Route } from "../../../src/model/state.ts";
import { defaultHost } from "../../../src/drivers/sim/snapshot.ts";
import type { SimKernel } from "../../../src/drivers/sim/kernel.ts";
import type { SimLink } from "../../../src/drivers/sim/types.ts";

/** The default host plus namespaces `ns1` and `ns2`. */
export function host(): SimKernel {
  const k = defaultHost();
  k.execute({ op: "namespace.create", namespace: "ns1" });
  k.execute({ op: "namespace.create", namespace: "ns2" });
  return k;
}

/** A `link.create` operation with defaults. */
export function create(spec: Partial<LinkSpec> & Pick<LinkSpec, "name" | "kind">): Operation {
  return { op: "link.create", link: { namespace: "root", up: false, ...spec } };
}

/** An ipvlan slave of root's eth0 (or `parent`) created in `namespace`. */
export function ipvlan(name: string, namespace: string, extra: Partial<LinkSpec> = {}): Operation {
  return create({
    name,
    kind: "ipvlan",
    namespace,
    parent: { namespace: "root", name: "eth0" },
    ...extra,
  });
}

/** A unicast route in table main. */
export function route(to: string, extra: Partial<Route> = {}): Route {
  return { to, type: "unicast", metric: 0, table: 254, protocol: 150, ...extra };
}

/** The kernel link `name` in `ns`. */
export function link(k: SimKernel, ns: string, name: string): SimLink | undefined {
  return k.state.namespaces[ns]?.links.find((l) => l.name === name);
}

/** Asserts that `op` fails with `code` (and `message` in the kernel message when given). */
export function assertRefused(k: SimKernel, op: Operation, code: string, message?: string): void {
  const before = JSON.stringify(k.state);
  assert.throws(() => k.execute(op), (e: unknown) => {
    assert.ok(e instanceof KernelError, `expected KernelError, got ${e}`);
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.equal(e.kernelMessage, message);
    return true;
  });
  assert.equal(JSON.stringify(k.state), before, "a refused operation changes nothing");
}
