// Attempts: to exhaust memory outside the V8 heap, with ArrayBuffers (which a heap limit does not count).
const hoard: Uint8Array[] = [];
while (true) hoard.push(new Uint8Array(16 * 1024 * 1024).fill(1));
export default { name: "buffers", namespaces: {} };
