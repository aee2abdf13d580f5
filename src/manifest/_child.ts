/**
 * Entry of the sandboxed `deno` child process that evaluates one manifest
 * (started by `sandbox.ts` with read access to the manifest's folder and
 * netform's sources only, and nothing else).
 *
 * Protocol: arguments are the manifest's file URL and the memory limit in
 * bytes; stdin carries a one-line nonce and is then closed. The answer is the
 * one stdout line that starts with the nonce, followed by a JSON
 * {@linkcode SandboxReply}, or `{"kind":"memory"}` from the memory watch
 * (`_memory_watch.ts`). The manifest cannot read the nonce (stdin is drained
 * before it is imported, and module scope is private), so nothing it prints
 * can pass for an answer.
 *
 * @module
 */
import type { SandboxReply } from "./sandbox_reply.ts";
import { copyPlainData } from "./plain_data.ts";

// Taken before the manifest runs: it shares this realm and may replace globals.
const stringify = JSON.stringify;
const stdout = Deno.stdout;
const exit = Deno.exit;
const encoder = new TextEncoder();

/** Thrown by the capabilities this process switches off before the import. */
class SandboxRefusal extends Error {
  override name = "SandboxRefusal";
}

const nonce = (await new Response(Deno.stdin.readable).text()).trim();
const url = Deno.args[0] ?? "";
watchMemory(Number(Deno.args[1]));
refuseCapabilities();
reply(await evaluate(url));

async function evaluate(url: string): Promise<SandboxReply> {
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    return { kind: "error", name: errorName(error), message: errorMessage(error) };
  }
  if (!Object.hasOwn(module, "default")) {
    return {
      kind: "issues",
      issues: [{
        path: "",
        message: "The manifest has no default export",
        hint: "end it with: export default topology({ name, namespaces })",
      }],
    };
  }
  try {
    const copied = copyPlainData(module.default);
    return copied.ok
      ? { kind: "value", value: copied.value }
      : { kind: "issues", issues: copied.issues };
  } catch (error) {
    // A Proxy's trap or a monkey-patched builtin can throw while the value is copied.
    return { kind: "error", name: errorName(error), message: errorMessage(error) };
  }
}

/** Starts the memory watch on its own thread; it keeps running until the process ends. */
function watchMemory(limitBytes: number): void {
  const watch = new Worker(new URL("./_memory_watch.ts", import.meta.url), { type: "module" });
  watch.postMessage({ nonce, limitBytes });
}

/**
 * Permissions cannot switch these off: a Worker is a new heap that the heap
 * limit counts separately, and WebAssembly is no part of describing a topology.
 * (The parent's memory watchdog still covers `node:worker_threads`.)
 */
function refuseCapabilities(): void {
  const refuse = (what: string) => () => {
    throw new SandboxRefusal(`Manifests may not ${what}`);
  };
  const startWorker = refuse("start workers");
  Object.defineProperty(globalThis, "Worker", {
    value: function Worker() {
      startWorker();
    },
    configurable: false,
    writable: false,
  });
  const useWasm = refuse("use WebAssembly");
  Object.defineProperty(globalThis, "WebAssembly", {
    value: new Proxy({}, { get: useWasm, has: useWasm, ownKeys: useWasm }),
    configurable: false,
    writable: false,
  });
  // Whatever the manifest logs goes to stderr, which the parent keeps for diagnostics.
  console.log = console.info = console.debug = console.error;
}

function reply(message: SandboxReply): void {
  const bytes = encoder.encode(`${nonce} ${stringify(message)}\n`);
  for (let done = 0; done < bytes.length;) done += stdout.writeSync(bytes.subarray(done));
  exit(0);
}

function errorName(error: unknown): string {
  try {
    return error instanceof Error ? String(error.name) : typeof error;
  } catch {
    return "unknown";
  }
}

function errorMessage(error: unknown): string {
  try {
    return String(error instanceof Error ? error.message : error).slice(0, 4000);
  } catch {
    return "(the thrown value cannot be shown)";
  }
}
