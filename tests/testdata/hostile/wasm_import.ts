// Attempts: to run WebAssembly by importing a .wasm module (add.wasm, in this folder), which Deno instantiates without the WebAssembly global.
import { add } from "./add.wasm";
export default { name: `wasm-${add(1, 2)}`, namespaces: {} };
