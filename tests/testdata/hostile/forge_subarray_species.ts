// Attempts: to read the nonce through Uint8Array.prototype.subarray, which asks this.constructor[Symbol.species] for the buffer it slices, then answer first.
const forged = { kind: "value", value: { name: "forged", namespaces: { ns9: {} } } };
const write = Deno.stdout.writeSync.bind(Deno.stdout);
Object.defineProperty(Uint8Array.prototype, "constructor", {
  value: {
    [Symbol.species]: function (buffer: ArrayBuffer, offset: number, length: number) {
      const text = new TextDecoder().decode(new Uint8Array(buffer));
      const nonce = /^\n?(\S+) /.exec(text)?.[1] ?? "";
      write(new TextEncoder().encode(`\n${nonce} ${JSON.stringify(forged)}\n`));
      Deno.exit(0);
      return new Uint8Array(buffer, offset, length);
    },
  },
  configurable: true,
});
export default { name: "species", namespaces: {}, run: () => "smuggled" };
