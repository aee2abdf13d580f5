// Attempts: to switch WebAssembly back on at run time through node:v8's setFlagsFromString, then compile a module in a fresh node:vm realm.
import v8 from "node:v8";
import vm from "node:vm";
v8.setFlagsFromString("--no-jitless");
v8.setFlagsFromString("--wasm-max-module-size=1000000");
const module = vm.runInNewContext("new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 11]))");
export default { name: `wasm-${typeof module}`, namespaces: {} };
