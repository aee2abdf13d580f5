/**
 * Which paths Deno's permission flags can carry. The sandbox allows and
 * denies reads by path (`--allow-read=<path>`, `--deny-read=<path>`), and a
 * path the flags cannot carry unchanged would confine the manifest to
 * something else:
 *
 * - a comma: Deno 2.9.6 splits every flag value on commas and has no escape
 *   (a doubled comma is refused as an empty path), so `--allow-read=/srv/m,..`
 *   also allows `..`, resolved against the working directory, and
 *   `--deny-read=/srv/m/x,y` denies `/srv/m/x` and `y` but not the link `x,y`;
 * - a name that is not valid UTF-8: Deno reads it as text with U+FFFD in
 *   place of the bad bytes, a path that does not exist, while the manifest
 *   can still reach the real one by a percent-encoded URL
 *   (`import "./%FF.json"`).
 *
 * Such a path is refused, never passed.
 *
 * @module
 */

/** Where an inexpressible path was found, which decides what the user can do about it. */
export type PathRole = "folder" | "link" | "directory" | "netform";

/** Why a path cannot be carried by Deno's permission flags. */
export type PathProblem = "comma" | "encoding";

/** A path the sandbox would have to allow or deny but cannot express. */
export class InexpressiblePathError extends Error {
  override name = "InexpressiblePathError";
  constructor(readonly path: string, readonly role: PathRole, readonly problem: PathProblem) {
    super(
      `Cannot express "${path}" in Deno's permission flags: the path ${describeProblem(problem)}`,
    );
  }
}

/** Options of {@linkcode assertExpressible}. */
export interface AssertExpressibleOptions {
  /**
   * Accept commas: for a path that is never passed itself, only read (a
   * directory searched for links, whose name must still be the real one).
   * Default: `false`.
   */
  allowCommas?: boolean;
}

/**
 * Throws when `path` (as Deno reported it: from `realPath` or `readDir`)
 * cannot be passed as a permission flag.
 *
 * @throws {InexpressiblePathError}
 * @example
 * ```ts
 * import { assertExpressible } from "./permission_paths.ts";
 * assertExpressible("/srv/netform/manifests", "folder"); // fine
 * // assertExpressible("/srv/m,..", "folder") throws: the path has a comma
 * ```
 */
export function assertExpressible(
  path: string,
  role: PathRole,
  options: AssertExpressibleOptions = {},
): void {
  if (!options.allowCommas && path.includes(",")) {
    throw new InexpressiblePathError(path, role, "comma");
  }
  if (path.includes("\uFFFD") && !exists(path)) {
    throw new InexpressiblePathError(path, role, "encoding");
  }
}

/** What the problem is, after a subject ("the path …"). */
export function describeProblem(problem: PathProblem): string {
  return problem === "comma"
    ? "has a comma, and Deno splits permission flags on commas"
    : "is not valid UTF-8, which Deno cannot pass on unchanged";
}

/**
 * Whether `path` names something: a name Deno decoded with U+FFFD in place of
 * bad bytes does not, unless the name really holds U+FFFD.
 */
function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
