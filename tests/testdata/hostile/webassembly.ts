// Attempts: to run WebAssembly (native-speed code and memory the heap limit does not count).
const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
await WebAssembly.instantiate(bytes);
export default { name: "wasm", namespaces: {} };
