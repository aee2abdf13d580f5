/**
 * One-line descriptions of kernel operations, as an operator would say them.
 *
 * @module
 */
import type { Operation } from "../model/operations.ts";
import { routeDestination } from "../plan/address.ts";
import { tableName } from "../model/names.ts";

export function describeOperation(op: Operation): string {
  switch (op.op) {
    case "namespace.create":
      return `create namespace "${op.namespace}"`;
    case "namespace.delete":
      return `delete namespace "${op.namespace}"`;
    case "link.create":
      return `create ${op.link.kind} "${op.link.name}" in namespace "${op.link.namespace}"` +
        (op.link.peer ? ` with peer "${op.link.peer.name}" in "${op.link.peer.namespace}"` : "");
    case "link.update":
      return `change ${
        Object.keys(op.changes).join(", ")
      } of "${op.name}" in namespace "${op.namespace}"`;
    case "link.delete":
      return `delete link "${op.name}" in namespace "${op.namespace}"`;
    case "address.add":
      return `${
        op.replace ? "mark" : "add"
      } address ${op.cidr} on "${op.link}" in namespace "${op.namespace}"`;
    case "address.delete":
      return `delete address ${op.cidr} from "${op.link}" in namespace "${op.namespace}"`;
    case "route.add":
      return `${op.replace ? "replace" : "add"} route ${routeDestination(op.route)} (table ${
        tableName(op.route.table)
      }) in namespace "${op.namespace}"`;
    case "route.delete":
      return `delete route ${routeDestination(op.route)} (table ${
        tableName(op.route.table)
      }) in namespace "${op.namespace}"`;
  }
}
