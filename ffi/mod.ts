/**
 * The FFI layer the live driver stands on: named network namespaces, netlink route sockets,
 * and rtnetlink message helpers. No pointer leaves this folder.
 *
 * @module
 */

export {
  createNamespace,
  deleteNamespace,
  listNamespaces,
  NamespaceFds,
  NETNS_RUN_DIR,
  removeStaleNamespaceFile,
} from "./netns.ts";
export {
  type Request,
  RouteSocket,
  TransactError,
  type TransactOptions,
  type TransactOutcome,
} from "./socket.ts";
export { errnoCode, errnoError, LibnlError, SystemCallError } from "./errno.ts";
export { LibnlMissingError } from "./libnl.ts";
export * from "./messages.ts";
