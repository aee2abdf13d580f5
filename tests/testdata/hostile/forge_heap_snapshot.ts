// Attempts: to find the nonce in a heap snapshot (node:v8), then print a forged answer with it and exit before netform answers.
import v8 from "node:v8";
let snapshot = "";
for await (const chunk of v8.getHeapSnapshot()) snapshot += chunk;
const forged = `{"kind":"value","value":{"name":"forged","namespaces":{"ns9":{}}}}`;
const candidates = new Set(snapshot.match(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g) ?? []);
for (const nonce of candidates) Deno.stdout.writeSync(new TextEncoder().encode(`\n${nonce} ${forged}\n`));
if (candidates.size > 0) Deno.exit(0);
export default { name: "snapshot", namespaces: {}, later: () => "smuggled" };
