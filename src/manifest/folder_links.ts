/**
 * Finds the symbolic links in a manifest's folder that the sandbox must not
 * follow. Deno checks read permission on the path as written, after resolving
 * `.` and `..` by text, not on where a symbolic link leads, so
 * `--allow-read=<folder>` alone would let `./link.json -> /etc/…` through.
 * Each link returned here is passed to the child as `--deny-read`.
 *
 * A link to a directory is denied even when it stays inside the folder: a
 * path through it is an alias no denial written for the link's target would
 * match.
 *
 * A link to deny must be one Deno's flags can name, and every directory and
 * link must be listed under its real name (`permission_paths.ts`); otherwise
 * the listing throws {@linkcode InexpressiblePathError} rather than return a
 * denial that would not hold.
 *
 * @module
 */
import { isAbsolute, join, relative } from "node:path";
import { assertExpressible, InexpressiblePathError } from "./permission_paths.ts";

export { InexpressiblePathError };

/** A symbolic link the manifest may not read through. */
export interface DeniedLink {
  /** The link itself, inside the folder. */
  path: string;
  /** Where it leads (`undefined` when it leads nowhere that exists). */
  target: string | undefined;
  why: "outside" | "directory" | "dangling";
}

/** Options of {@linkcode deniedLinks}. */
export interface DeniedLinksOptions {
  /** Entries to look at before giving up. Default: 10 000. */
  maxEntries?: number;
}

/** The folder holds more entries than {@linkcode DeniedLinksOptions.maxEntries}. */
export class FolderTooLargeError extends Error {
  override name = "FolderTooLargeError";
}

/**
 * The symbolic links under `folder` (a real path, without links in it) that
 * lead outside it, to a directory, or nowhere.
 *
 * @throws {FolderTooLargeError} when the folder has more entries than allowed.
 * @throws {InexpressiblePathError} when a link to deny has a comma in its path,
 * or a link or directory has a name that is not valid UTF-8.
 * @example
 * ```ts ignore
 * import { deniedLinks } from "./folder_links.ts";
 * await deniedLinks("/etc/netform"); // [{ path: "/etc/netform/secrets", target: "/root/secrets", why: "outside" }]
 * ```
 */
export async function deniedLinks(
  folder: string,
  options: DeniedLinksOptions = {},
): Promise<DeniedLink[]> {
  const maxEntries = options.maxEntries ?? 10_000;
  const denied: DeniedLink[] = [];
  const pending = [folder];
  let seen = 0;
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries: AsyncIterable<Deno.DirEntry>;
    try {
      entries = Deno.readDir(dir);
    } catch {
      continue;
    }
    try {
      for await (const entry of entries) {
        if (++seen > maxEntries) {
          throw new FolderTooLargeError(
            `The manifest's folder "${folder}" has more than ${maxEntries} entries to check for symbolic links`,
          );
        }
        const path = join(dir, entry.name);
        if (entry.isDirectory) {
          assertExpressible(path, "directory", { allowCommas: true });
          pending.push(path);
        } else if (entry.isSymlink) {
          // A name read with U+FFFD in it leads nowhere here, so it is denied and refused below.
          const link = await classify(folder, path);
          if (link) {
            assertExpressible(path, "link");
            denied.push(link);
          }
        }
      }
    } catch (error) {
      if (error instanceof FolderTooLargeError || error instanceof InexpressiblePathError) {
        throw error;
      }
      // A folder the manifest cannot list is one it cannot read either.
    }
  }
  return denied.sort((a, b) => a.path.localeCompare(b.path));
}

async function classify(folder: string, path: string): Promise<DeniedLink | undefined> {
  let target: string;
  try {
    target = await Deno.realPath(path);
  } catch {
    return { path, target: undefined, why: "dangling" };
  }
  const rel = relative(folder, target);
  if (rel === ".." || rel.startsWith("../") || isAbsolute(rel)) {
    return { path, target, why: "outside" };
  }
  const info = await Deno.stat(target);
  return info.isDirectory ? { path, target, why: "directory" } : undefined;
}
