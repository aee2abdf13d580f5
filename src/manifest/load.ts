/**
 * Loads a manifest: evaluates the module in a sandboxed worker, then
 * validates and normalizes its default export.
 *
 * A manifest is code, and it runs on a host where netform has root; the
 * worker may only read the manifest's own folder and netform's modules, and
 * has no network, subprocess, environment, FFI, write or system access, so a
 * manifest can describe a topology and do nothing else.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ManifestError, type ManifestIssue } from "../errors.ts";
import type { Topology } from "../model/state.ts";
import type { WorkerReply } from "./_worker.ts";
import { normalizeTopology } from "./normalize.ts";
import { parseTopologyInput } from "./validate.ts";

/** Options of {@linkcode loadManifest}. */
export interface LoadManifestOptions {
  /** How long the manifest may run before it is stopped, in milliseconds. Default: 10 000. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const WORKER_URL = new URL("./_worker.ts", import.meta.url);
const REPO_ROOT = new URL("../../", import.meta.url);

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
 * Loads the manifest module at `file` in a sandboxed worker and returns its
 * desired topology.
 *
 * @throws {ManifestError} when the module cannot be read, throws, does
 * something it may not, runs too long, or exports an invalid topology.
 * @example
 * ```ts ignore
 * import { loadManifest } from "./load.ts";
 * const topology = await loadManifest("examples/demo.ts");
 * ```
 */
export async function loadManifest(
  file: string,
  options: LoadManifestOptions = {},
): Promise<Topology> {
  const path = resolve(file);
  try {
    const stat = await Deno.stat(path);
    if (!stat.isFile) throw new Error("not a file");
  } catch (error) {
    throw new ManifestError(file, [{
      path: "",
      message: `Cannot read the manifest: ${error instanceof Error ? error.message : error}`,
      hint: "check the file name",
    }], { cause: error });
  }
  const reply = await evaluate(path, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  switch (reply.kind) {
    case "value":
      return validateManifestValue(file, reply.value);
    case "issues":
      throw new ManifestError(file, reply.issues);
    case "error":
      throw new ManifestError(file, [failureIssue(reply, dirname(path))]);
  }
}

/** Runs the manifest in a worker; resolves with its one reply, or a timeout error. */
function evaluate(path: string, timeoutMs: number): Promise<WorkerReply> {
  const worker = new Worker(WORKER_URL.href, {
    type: "module",
    deno: {
      permissions: {
        read: [
          dirname(path),
          fileURLToPath(new URL("mod.ts", REPO_ROOT)),
          fileURLToPath(new URL("src/", REPO_ROOT)),
        ],
        net: false,
        ffi: false,
        run: false,
        env: false,
        write: false,
        sys: false,
        import: false,
      },
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<WorkerReply>((done) => {
    timer = setTimeout(() => {
      done({
        kind: "error",
        name: "Timeout",
        message: `The manifest did not finish within ${timeoutMs / 1000} s`,
      });
    }, timeoutMs);
    worker.onmessage = (event: MessageEvent<WorkerReply>) => done(event.data);
    worker.onmessageerror = () =>
      done({ kind: "error", name: "DataCloneError", message: "Its result could not be received" });
    worker.onerror = (event) => {
      // Without preventDefault an error in a worker also ends the parent process.
      event.preventDefault();
      done({ kind: "error", name: "Error", message: event.message });
    };
    worker.postMessage({ url: pathToFileURL(path).href });
  }).finally(() => {
    clearTimeout(timer);
    worker.terminate();
  });
}

function failureIssue(reply: WorkerReply & { kind: "error" }, folder: string): ManifestIssue {
  if (reply.name === "Timeout") {
    return {
      path: "",
      message: reply.message,
      hint: "a manifest must compute its topology quickly: look for a loop that never ends",
    };
  }
  if (reply.name === "NotCapable" || reply.name === "PermissionDenied") {
    // Deno's advice to rerun with --allow-* does not apply to a manifest.
    const denied = reply.message.replace(/,? run again with.*$/s, "");
    return {
      path: "",
      message: `The manifest was denied an operation: ${denied}`,
      hint:
        `manifests may only read their own folder ("${folder}"); they may not use the network, run programs, read the environment or write files`,
    };
  }
  return {
    path: "",
    message: `The manifest failed while loading: ${reply.name}: ${reply.message}`,
    hint: "fix the error in the manifest",
  };
}
