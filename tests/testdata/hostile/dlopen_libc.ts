// Attempts: to load libc through FFI and call into native code.
const libc = Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } });
export default { name: String(libc.symbols.getpid()), namespaces: {} };
