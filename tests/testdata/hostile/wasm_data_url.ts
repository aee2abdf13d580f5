// Attempts: to import a WebAssembly module from a data: URL, which needs no file in the folder.
const module = await import("data:application/wasm;base64,AGFzbQEAAAABBAFgAAADAgEABwUBAWYAAAoEAQIACw==");
export default { name: `wasm-${typeof module.f}`, namespaces: {} };
