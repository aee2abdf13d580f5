/**
 * Worker started by `_child.ts` before the manifest is imported: it watches
 * the resident memory of the whole process (heap, ArrayBuffers, WebAssembly,
 * threads) and, past the limit, prints the memory marker for the parent,
 * which kills the process. It runs on its own thread, so a manifest that
 * never yields cannot stop it.
 *
 * The parent cannot watch `/proc/<pid>` itself: Deno asks for `--allow-all`
 * to read another process's files there.
 *
 * Protocol: receives `{ nonce, limitBytes }` once, the nonce as bytes (see
 * `_child.ts`). This thread's heap is not the manifest's, so the marker may be
 * a string here.
 *
 * @module
 */

const INTERVAL_MS = 10;

// This file runs as a worker, but is type-checked with the window lib like the
// rest of the project, so the worker globals are declared here by hand.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<{ nonce: Uint8Array; limitBytes: number }>) => void) | null;
};

scope.onmessage = (event) => {
  scope.onmessage = null;
  const { nonce, limitBytes } = event.data;
  const marker = new TextEncoder().encode(
    `\n${new TextDecoder().decode(nonce)} {"kind":"memory"}\n`,
  );
  const timer = setInterval(() => {
    if (Deno.memoryUsage().rss <= limitBytes) return;
    clearInterval(timer);
    for (let done = 0; done < marker.length;) done += Deno.stdout.writeSync(marker.subarray(done));
  }, INTERVAL_MS);
};
