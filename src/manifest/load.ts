/**
 * Loads a manifest: evaluates the module in a sandbox, then validates and
 * normalizes its default export.
 *
 * A manifest is code, and it runs on a host where netform has root. It is
 * evaluated in a child `deno` process (see `sandbox.ts`) that may only read
 * the manifest's own folder and netform's modules, has no network,
 * subprocess, environment, FFI, write or system access, and is killed when it
 * exceeds its time or memory limit; so a manifest can describe a topology and
 * do nothing else, and a hostile one cannot hang or exhaust netform.
 *
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ManifestError, type ManifestIssue } from "../errors.ts";
import type { Topology } from "../model/state.ts";
import { deniedLinks, FolderTooLargeError } from "./folder_links.ts";
import { DEFAULT_LIMITS, limitsFromEnv, type ManifestLimits } from "./limits.ts";
import { normalizeTopology } from "./normalize.ts";
import { assertExpressible, InexpressiblePathError } from "./permission_paths.ts";
import { evaluateInSandbox } from "./sandbox.ts";
import { inexpressiblePathIssue, outcomeIssue } from "./sandbox_issues.ts";
import { parseTopologyInput } from "./validate.ts";

/**
 * Options of {@linkcode loadManifest}: limits that override
 * `NETFORM_MANIFEST_TIMEOUT` / `NETFORM_MANIFEST_MEMORY`, which override the
 * defaults ({@linkcode DEFAULT_LIMITS}: 10 s, 512 MiB).
 */
export type LoadManifestOptions = Partial<ManifestLimits>;

const REPO_ROOT = new URL("../../", import.meta.url);
/** What a manifest may import besides its own folder: `mod.ts` and the modules behind it. */
const NETFORM_SOURCES = [
  fileURLToPath(new URL("mod.ts", REPO_ROOT)),
  fileURLToPath(new URL("src/", REPO_ROOT)),
];
const MIB = 1024 * 1024;

/**
 * Validates and normalizes a manifest's default export.
 *
 * @throws {ManifestError} naming `file` and listing every issue.
 * @example
 * ```ts
 * import { validateManifestValue } from "./load.ts";
 * const topology = validateManifestValue("inline", { name: "demo", namespaces: {} });
 * topology.namespaces.root; // { links: {}, routes: [] }
 * ```
 */
export function validateManifestValue(file: string, value: unknown): Topology {
  const result = parseTopologyInput(value);
  if (!result.ok) throw new ManifestError(file, result.issues);
  return normalizeTopology(result.input);
}

/**
 * Loads the manifest module at `file` in the sandbox and returns its desired
 * topology.
 *
 * @throws {ManifestError} when the module cannot be read, throws, does
 * something it may not, runs too long, uses too much memory, or exports an
 * invalid topology. Nothing outside the sandbox has changed by then.
 * @example
 * ```ts ignore
 * import { loadManifest } from "./load.ts";
 * const topology = await loadManifest("examples/demo.ts", { timeoutMs: 2000 });
 * ```
 */
export async function loadManifest(
  file: string,
  options: LoadManifestOptions = {},
): Promise<Topology> {
  const limits: ManifestLimits = { ...DEFAULT_LIMITS, ...limitsFromEnv(), ...options };
  const fail = (issue: ManifestIssue, cause?: unknown): never => {
    throw new ManifestError(file, [issue], cause === undefined ? undefined : { cause });
  };
  // The real path: the folder the manifest may read must not itself be reached through a link.
  let path: string;
  try {
    path = await Deno.realPath(file);
    const stat = await Deno.stat(path);
    if (!stat.isFile) throw new Error("not a file");
    if (stat.size > limits.maxFileBytes) {
      return fail({
        path: "",
        message: `The manifest is ${
          (stat.size / MIB).toFixed(1)
        } MiB; netform reads manifests of at most ${limits.maxFileBytes / MIB} MiB`,
        hint: "keep bulky data out of the manifest: a topology is small",
      });
    }
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    return fail({
      path: "",
      message: `Cannot read the manifest: ${error instanceof Error ? error.message : error}`,
      hint: "check the file name",
    }, error);
  }
  const folder = dirname(path);
  let links;
  try {
    // Every path passed to the sandbox's permission flags must reach Deno unchanged.
    for (const source of NETFORM_SOURCES) assertExpressible(source, "netform");
    assertExpressible(folder, "folder");
    links = await deniedLinks(folder);
  } catch (error) {
    if (error instanceof InexpressiblePathError) return fail(inexpressiblePathIssue(error));
    if (!(error instanceof FolderTooLargeError)) throw error;
    return fail({
      path: "",
      message: error.message,
      hint: "keep manifests in a folder of their own",
    });
  }
  const outcome = await evaluateInSandbox(path, limits, {
    allowRead: [folder, ...NETFORM_SOURCES],
    denyRead: links.map((l) => l.path),
  });
  switch (outcome.kind) {
    case "value":
      return validateManifestValue(file, outcome.value);
    case "issues":
      throw new ManifestError(file, outcome.issues);
    default:
      return fail(outcomeIssue(outcome, { folder, limits, deniedLinks: links }));
  }
}
