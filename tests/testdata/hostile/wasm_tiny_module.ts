// Attempts: to instantiate the one kind of module the sandbox still compiles: 16 bytes (tiny.wasm, a custom section and no code), through import source.
import source module from "./tiny.wasm";
const tag = Object.prototype.toString.call(module).slice(8, -1);
const Instance = (globalThis as { WebAssembly?: { Instance?: new (m: unknown) => unknown } }).WebAssembly?.Instance;
if (!Instance) throw new Error(`compiled a ${tag} but found no way to instantiate it`);
export default { name: `wasm-${typeof new Instance(module)}`, namespaces: {} };
