// Attempts: to reach WebAssembly in a fresh realm from node:vm, whose globals netform's evaluator never touched.
import vm from "node:vm";
const bytes = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 11];
const instance = vm.runInNewContext(`new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(${JSON.stringify(bytes)})))`);
export default { name: `wasm-${typeof instance}`, namespaces: {} };
