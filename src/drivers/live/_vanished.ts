/**
 * A namespace that went away under us (`ip netns del` by someone else while we looked).
 *
 * @module
 */
import { KernelError } from "../../errors.ts";

/**
 * `ip netns del` unmounts the namespace file, then unlinks it: in between, the file is still
 * listed but `setns` on it gives EINVAL; after it, `open` gives ENOENT. Either way the
 * namespace is gone (or going), and there is nothing in it to observe.
 */
export function isVanishedNamespace(e: unknown): boolean {
  return e instanceof KernelError && (e.code === "ENOENT" || e.code === "EINVAL");
}
