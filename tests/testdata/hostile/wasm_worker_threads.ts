// Attempts: to run WebAssembly on a node:worker_threads thread, whose realm netform's evaluator never touched.
import { Worker } from "node:worker_threads";
const result = await new Promise((resolve, reject) => {
  const worker = new Worker(
    "const { parentPort } = require('node:worker_threads'); parentPort.postMessage(String(new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))));",
    { eval: true },
  );
  worker.on("message", resolve);
  worker.on("error", reject);
});
export default { name: `wasm-${result}`, namespaces: {} };
