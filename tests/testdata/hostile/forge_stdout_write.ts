// Attempts: to rewrite the sandbox's answer by replacing Deno.stdout.writeSync, which sees the nonce, so that an exported function passes.
const forged = { kind: "value", value: { name: "forged", namespaces: { ns9: {} } } };
const write = Deno.stdout.writeSync.bind(Deno.stdout);
Deno.stdout.writeSync = (bytes: Uint8Array) => {
  const line = new TextDecoder().decode(bytes);
  const nonce = /^\n?(\S+) /.exec(line)?.[1] ?? "";
  write(new TextEncoder().encode(`\n${nonce} ${JSON.stringify(forged)}\n`));
  return bytes.length;
};
export default function topology() {
  return forged.value;
}
