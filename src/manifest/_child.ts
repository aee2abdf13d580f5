/**
 * Entry of the sandboxed `deno` child process that evaluates one manifest
 * (started by `sandbox.ts` with read access to the manifest's folder and
 * netform's sources only, and nothing else).
 *
 * Protocol: arguments are the manifest's file URL and the memory limit in
 * bytes; stdin carries a one-line nonce and is then closed. The answer is the
 * one stdout line that starts with the nonce, followed by a JSON
 * {@linkcode SandboxReply}, or `{"kind":"memory"}` from the memory watch
 * (`_memory_watch.ts`).
 *
 * The manifest runs in this realm and may replace any builtin, so:
 * - stdin is drained before the import, and the nonce is kept as bytes, never
 *   as a string: a string would show in a heap snapshot (`node:v8`), bytes
 *   outside the JS heap do not;
 * - after the import, this module calls only builtins captured before it
 *   (`_primordials.ts`) and creates only null-prototype objects, and it does
 *   not `await` again (an inherited `then` would see the answer);
 * - the parent trusts none of this: it checks the answer's whole shape itself.
 *
 * @module
 */
import {
  ArrayBufferCtor,
  isProxy,
  JSONStringify,
  nullArray,
  nullObject,
  ObjectHasOwn,
  ReflectApply,
  ReflectGetOwnPropertyDescriptor,
  ReflectGetPrototypeOf,
  StringCtor,
  StringPrototypeSlice,
  TextEncoderPrototypeEncode,
  TypedArrayPrototypeGetLength,
  TypedArrayPrototypeSet,
  Uint8ArrayCtor,
} from "./_primordials.ts";
import { copyPlainData } from "./plain_data.ts";
import { MAX_ISSUES, MAX_TEXT, type SandboxReply } from "./sandbox_reply.ts";

// Taken before the manifest runs.
const stdout = Deno.stdout;
const writeSync = Deno.stdout.writeSync;
const exit = Deno.exit;
const encoder = new TextEncoder();

/** Thrown by the capabilities this process switches off before the import. */
class SandboxRefusal extends Error {
  override name = "SandboxRefusal";
}

const nonce = firstLine(new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer()));
const url = Deno.args[0] ?? "";
watchMemory(Number(Deno.args[1]));
refuseCapabilities();
let module: Record<string, unknown> | undefined;
let failure: { error: unknown } | undefined;
try {
  module = await import(url);
} catch (error) {
  failure = { error };
}
// From here on nothing awaits: the answer is computed and written in one go.
reply(failure ? thrownReply(failure.error) : exportReply(module!));

function exportReply(module: Record<string, unknown>): SandboxReply {
  let descriptor: PropertyDescriptor | undefined;
  try {
    descriptor = ReflectGetOwnPropertyDescriptor(module, "default");
  } catch (error) {
    return thrownReply(error);
  }
  if (!descriptor) {
    return issuesReply(
      "The manifest has no default export",
      "end it with: export default topology({ name, namespaces })",
    );
  }
  if (descriptor.value === undefined) {
    return issuesReply(
      "The manifest's default export is undefined",
      "end it with: export default topology({ name, namespaces })",
    );
  }
  const copied = copyPlainData(descriptor.value, MAX_ISSUES);
  const out = nullObject<Record<string, unknown>>();
  if (copied.ok) {
    out.kind = "value";
    out.value = copied.value;
  } else {
    out.kind = "issues";
    out.issues = copied.issues;
  }
  return out as SandboxReply;
}

function issuesReply(message: string, hint: string): SandboxReply {
  const issue = nullObject<Record<string, string>>();
  issue.path = "";
  issue.message = message;
  issue.hint = hint;
  const issues = nullArray<unknown>();
  issues[0] = issue;
  const out = nullObject<Record<string, unknown>>();
  out.kind = "issues";
  out.issues = issues;
  return out as SandboxReply;
}

/** What the manifest threw, read through descriptors so none of its code runs. */
function thrownReply(error: unknown): SandboxReply {
  const out = nullObject<Record<string, string>>();
  out.kind = "error";
  if ((typeof error === "object" && error !== null) || typeof error === "function") {
    out.name = clip(inheritedString(error, "name") ?? typeof error);
    out.message = clip(inheritedString(error, "message") ?? "(the thrown value cannot be shown)");
  } else {
    out.name = typeof error;
    out.message = clip(StringCtor(error));
  }
  return out as SandboxReply;
}

/** A string data property of `object` or its prototypes; `undefined` for anything else. */
function inheritedString(object: object, key: string): string | undefined {
  let at: object | null = object;
  for (let hops = 0; at !== null && hops < 32; hops++) {
    if (isProxy(at)) return undefined;
    const descriptor = ReflectGetOwnPropertyDescriptor(at, key);
    if (descriptor) {
      return ObjectHasOwn(descriptor, "value") && typeof descriptor.value === "string"
        ? descriptor.value
        : undefined;
    }
    at = ReflectGetPrototypeOf(at);
  }
  return undefined;
}

/** Starts the memory watch on its own thread; it keeps running until the process ends. */
function watchMemory(limitBytes: number): void {
  const watch = new Worker(new URL("./_memory_watch.ts", import.meta.url), { type: "module" });
  watch.postMessage({ nonce, limitBytes });
}

/**
 * Permissions cannot switch a Worker off: it is a new heap that the heap limit
 * counts separately. (The memory watch still covers `node:worker_threads`.)
 * WebAssembly is switched off by V8 flags (`sandbox.ts`), in every realm.
 */
function refuseCapabilities(): void {
  Object.defineProperty(globalThis, "Worker", {
    value: function Worker() {
      throw new SandboxRefusal("Manifests may not start workers");
    },
    configurable: false,
    writable: false,
  });
  // Whatever the manifest logs goes to stderr, which the parent keeps for diagnostics.
  console.log = console.info = console.debug = console.error;
}

/** Writes a newline (in case the manifest left a line unfinished), the nonce and the answer, and ends the process. */
function reply(message: SandboxReply): void {
  // A null-prototype tree: JSON.stringify finds no toJSON to call.
  const json = JSONStringify(message);
  const body = TextEncoderPrototypeEncode(encoder, ` ${json}\n`);
  const nonceLength = TypedArrayPrototypeGetLength(nonce);
  const length = 1 + nonceLength + TypedArrayPrototypeGetLength(body);
  const buffer = new ArrayBufferCtor(length);
  const bytes = new Uint8ArrayCtor(buffer);
  bytes[0] = 0x0a;
  TypedArrayPrototypeSet(bytes, nonce, 1);
  TypedArrayPrototypeSet(bytes, body, 1 + nonceLength);
  // Views made with the captured constructor: subarray() would ask the manifest's species.
  for (let done = 0; done < length;) {
    done += ReflectApply(writeSync, stdout, [new Uint8ArrayCtor(buffer, done)]) as number;
  }
  exit(0);
}

/** The bytes of `input` before its first newline. */
function firstLine(input: Uint8Array): Uint8Array {
  let end = 0;
  while (end < input.length && input[end] !== 0x0a) end++;
  return input.slice(0, end);
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${StringPrototypeSlice(text, 0, MAX_TEXT - 1)}…` : text;
}
