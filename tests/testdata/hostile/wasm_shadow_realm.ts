// Attempts: to reach WebAssembly in a ShadowRealm (a fresh realm with its own globals), if the runtime has one.
const realm = new (globalThis as unknown as { ShadowRealm: new () => { evaluate(code: string): unknown } }).ShadowRealm();
export default { name: `wasm-${realm.evaluate("typeof WebAssembly.Module")}`, namespaces: {} };
