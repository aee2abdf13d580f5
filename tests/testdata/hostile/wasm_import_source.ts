// Attempts: to compile WebAssembly with a source-phase import (import source), which Deno compiles whatever the flags on the WebAssembly global.
import source module from "./add.wasm";
export default { name: `wasm-${typeof module}`, namespaces: {} };
