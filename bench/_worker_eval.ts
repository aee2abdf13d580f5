/**
 * The evaluation netform used before the child process (a Deno Worker with
 * permissions), kept for `manifest_eval.ts` to compare against. Worker side.
 *
 * @module
 */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<{ url: string }>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  scope.onmessage = null;
  try {
    const module = await import(event.data.url);
    scope.postMessage({ kind: "value", value: JSON.parse(JSON.stringify(module.default)) });
  } catch (error) {
    scope.postMessage({ kind: "error", message: String(error) });
  }
};
