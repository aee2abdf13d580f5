// Attempts: to answer through console, by replacing console and its methods so that whatever is logged goes to stdout as a forged answer.
const forged = `{"kind":"value","value":{"name":"forged","namespaces":{"ns9":{}}}}`;
const out = (..._: unknown[]) => Deno.stdout.writeSync(new TextEncoder().encode(`\n${forged}\n`));
for (const method of ["log", "error", "info", "warn", "debug"] as const) console[method] = out;
globalThis.console = { ...console, log: out, error: out };
console.error("forging");
export default { name: "console", namespaces: {}, later: () => "smuggled" };
