// Attempts: to get around the memory limit with a node:worker_threads thread that allocates outside the heap.
import { Worker } from "node:worker_threads";
new Worker(
  "const hoard = []; while (true) hoard.push(new Uint8Array(16 * 1024 * 1024).fill(1));",
  { eval: true },
);
await new Promise(() => setInterval(() => {}, 1000));
export default { name: "threads", namespaces: {} };
