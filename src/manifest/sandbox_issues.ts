/**
 * Turns what became of a sandboxed evaluation into the one issue a user
 * reads: what the manifest attempted and what to do about it.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import type { DeniedLink } from "./folder_links.ts";
import type { ManifestLimits } from "./limits.ts";
import { describeProblem, type InexpressiblePathError } from "./permission_paths.ts";
import type { SandboxOutcome } from "./sandbox.ts";

/** What the messages need to know about the evaluation. */
export interface OutcomeContext {
  folder: string;
  limits: ManifestLimits;
  deniedLinks: readonly DeniedLink[];
}

/** Permission names as Deno words them, and what they let a program do. */
const ACTIONS: Readonly<Record<string, string>> = {
  read: "read other files",
  write: "write files",
  net: "use the network",
  run: "run programs or signal processes",
  env: "read the environment",
  ffi: "load native libraries",
  sys: "read system information",
};

const MIB = 1024 * 1024;

/** Errors that mean the manifest tried WebAssembly, which V8 flags switch off in the child. */
const WASM_OFF =
  /WebAssembly is not defined|WebAssembly is not available|Failed to compile Wasm module|buffer source exceeds maximum size of 16\b/;

/** The issue for a path the sandbox's permission flags cannot carry, with what to do about it. */
export function inexpressiblePathIssue(error: InexpressiblePathError): ManifestIssue {
  const problem = describeProblem(error.problem);
  const fixed = error.problem === "comma" ? "has no comma" : "is valid UTF-8";
  const shown = `"${error.path}"`;
  switch (error.role) {
    case "folder":
      return {
        path: "",
        message:
          `Cannot confine the manifest to its folder ${shown}: the path ${problem}, so no flag allows exactly that folder`,
        hint: `rename or move the folder so that its path ${fixed}`,
      };
    case "netform":
      return {
        path: "",
        message:
          `Cannot confine the manifest: netform's own path ${shown} ${problem}, so no flag allows exactly netform's modules`,
        hint: `install or copy netform into a folder whose path ${fixed}`,
      };
    case "link":
      return {
        path: "",
        message:
          `Cannot confine the manifest: the symbolic link ${shown} in its folder must be denied, but its path ${problem}`,
        hint:
          `rename the link (and any folder above it, inside the manifest's folder) so that its path ${fixed}, or remove it`,
      };
    case "directory":
      return {
        path: "",
        message:
          `Cannot confine the manifest: the path of the folder ${shown} inside its folder ${problem}, so the links in it cannot be denied`,
        hint: `rename it so that its name ${fixed}, or move it out of the manifest's folder`,
      };
  }
}

/** The issue for an outcome other than a value or a list of issues. */
export function outcomeIssue(
  outcome: Exclude<SandboxOutcome, { kind: "value" } | { kind: "issues" }>,
  context: OutcomeContext,
): ManifestIssue {
  const { limits } = context;
  switch (outcome.kind) {
    case "timeout":
      return {
        path: "",
        message: `The manifest did not finish within ${limits.timeoutMs / 1000} s`,
        hint:
          "a manifest must compute its topology quickly: look for a loop that never ends or a wait that never returns; if it is only slow, raise the limit with --manifest-timeout or NETFORM_MANIFEST_TIMEOUT",
      };
    case "memory":
      return {
        path: "",
        message: `The manifest used more than ${limits.memoryMb} MiB of memory`,
        hint:
          "look for a loop that allocates without end; if it really needs more, raise the limit with --manifest-memory or NETFORM_MANIFEST_MEMORY",
      };
    case "output":
      return {
        path: "",
        message: `The manifest's default export is larger than ${
          limits.maxOutputBytes / MIB
        } MiB as JSON`,
        hint: "a topology is small: look for a huge string or array in the default export",
      };
    case "exited":
      return exitedIssue(outcome);
    case "error":
      return errorIssue(outcome, context);
    case "malformed":
      return {
        path: "",
        message: `The sandbox's answer was malformed: ${outcome.why}`,
        hint:
          "netform refuses the manifest rather than trust the answer; a manifest that tampers with builtins or the output of netform's evaluator causes this, otherwise report it as a netform bug",
      };
  }
}

function wasmIssue(detail: string): ManifestIssue {
  return {
    path: "",
    message: `The manifest was refused: WebAssembly is switched off in the sandbox (${detail})`,
    hint: "a manifest only describes a topology: compute it in the manifest's own code",
  };
}

function exitedIssue(
  outcome: Extract<SandboxOutcome, { kind: "exited" }>,
): ManifestIssue {
  if (/Top-level await promise never resolved/.test(outcome.stderr)) {
    return {
      path: "",
      message: "The manifest waits at the top level for a promise that never settles",
      hint: "resolve the awaited promise, or compute the topology without waiting",
    };
  }
  const uncaught = /^error: (Uncaught.*)$/m.exec(outcome.stderr)?.[1];
  if (uncaught && WASM_OFF.test(uncaught)) return wasmIssue(uncaught);
  if (uncaught) {
    return {
      path: "",
      message: `The manifest failed while loading: ${uncaught}`,
      hint: "fix the error in the manifest (an error thrown later, in a timer or a promise)",
    };
  }
  const how = outcome.signal ? `signal ${outcome.signal}` : `exit code ${outcome.code}`;
  if (outcome.code === 0 && !outcome.signal) {
    return {
      path: "",
      message: `The manifest ended its process (${how}) before it exported a topology`,
      hint: "remove the call to Deno.exit (or process.exit) from the manifest",
    };
  }
  const last = outcome.stderr.trim().split("\n").filter((l) => l.trim() !== "").at(-1);
  return {
    path: "",
    message: `The manifest's evaluation ended unexpectedly (${how})${last ? `: ${last}` : ""}`,
    hint: "fix the manifest; if it looks like a netform bug, report it with this message",
  };
}

function errorIssue(
  reply: Extract<SandboxOutcome, { kind: "error" }>,
  context: OutcomeContext,
): ManifestIssue {
  const { message } = reply;
  const denied = /Requires (\w+) access(?: to ("[^"]*"|\S+))?/.exec(message);
  if (denied?.[1] === "import") {
    return {
      path: "",
      message: `The manifest may not import remote modules: it imports from ${denied[2]}`,
      hint: "copy the module into the manifest's folder and import it from there",
    };
  }
  if (denied) {
    const [, permission = "", what] = denied;
    const action = ACTIONS[permission] ?? `use "${permission}"`;
    const link = permission === "read" && what !== undefined
      ? throughLink(unquote(what), context.deniedLinks)
      : undefined;
    return {
      path: "",
      message: `The manifest was denied an operation: Requires ${permission} access` +
        (what !== undefined ? ` to ${what}` : "") + (link ? `; ${describeLink(link)}` : ""),
      hint:
        `manifests may only read their own folder ("${context.folder}") and netform's modules; they may not ${action}`,
    };
  }
  const remote = /A remote specifier was requested: ("[^"]*")/.exec(message);
  if (remote) {
    return {
      path: "",
      message: `The manifest may not import remote modules: it imports ${remote[1]}`,
      hint: "copy the module into the manifest's folder and import it from there",
    };
  }
  if (/npm specifiers were requested|--no-npm/.test(message)) {
    return {
      path: "",
      message: `The manifest may not import npm packages: ${firstLine(message)}`,
      hint: "manifests run without npm packages: copy what you need into the manifest's folder",
    };
  }
  if (WASM_OFF.test(message)) return wasmIssue(`${reply.name}: ${firstLine(message)}`);
  if (reply.name === "SandboxRefusal") {
    return {
      path: "",
      message: `The manifest was refused: ${message}`,
      hint: "a manifest only describes a topology: compute it in the manifest's own code",
    };
  }
  return {
    path: "",
    message: `The manifest failed while loading: ${reply.name}: ${firstLine(message)}`,
    hint: "fix the error in the manifest",
  };
}

function throughLink(path: string, links: readonly DeniedLink[]): DeniedLink | undefined {
  return links.find((l) => path === l.path || path.startsWith(l.path + "/"));
}

function describeLink(link: DeniedLink): string {
  const shown = `"${link.path}" is a symbolic link`;
  switch (link.why) {
    case "outside":
      return `${shown} to "${link.target}", outside the manifest's folder`;
    case "directory":
      return `${shown} to a directory ("${link.target}"), which the sandbox does not follow`;
    case "dangling":
      return `${shown} that leads nowhere`;
  }
}

function unquote(text: string): string {
  return text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
