// Attempts: to act after the answer is written, by replacing Deno.exit and listening for "unload", and print an answer of its own.
const forged = `{"kind":"value","value":{"name":"forged","namespaces":{"ns9":{}}}}`;
const write = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));
Deno.exit = ((code?: number) => {
  write(`\nforged ${forged}\n`);
  throw new Error(`exit ${code} refused`);
}) as typeof Deno.exit;
addEventListener("unload", () => write(`\n${forged}\n`));
globalThis.process?.on?.("exit", () => write(`\n${forged}\n`));
export default { name: "exit", namespaces: {}, later: () => "smuggled" };
