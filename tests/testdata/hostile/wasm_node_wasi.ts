// Attempts: to run WebAssembly through node:wasi, with a module compiled by a source-phase import of add.wasm.
import { WASI } from "node:wasi";
import source module from "./add.wasm";
const wasi = new WASI({ version: "preview1" });
export default { name: `wasi-${typeof wasi.start}-${typeof module}`, namespaces: {} };
