// Attempts: to read a .wasm file's bytes with an import attribute (type: "bytes"), to compile them some other way.
import bytes from "./add.wasm" with { type: "bytes" };
export default { name: `wasm-${bytes.length}`, namespaces: {} };
