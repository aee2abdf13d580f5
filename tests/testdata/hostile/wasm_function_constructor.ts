// Attempts: to reach WebAssembly from code built at run time (the Function constructor and indirect eval), outside the manifest's own scope.
const WebAssemblyObject = new Function("return globalThis.WebAssembly")() ?? (0, eval)("WebAssembly");
const module = new WebAssemblyObject.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
export default { name: `wasm-${typeof module}`, namespaces: {} };
