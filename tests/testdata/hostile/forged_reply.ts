// Attempts: to forge the sandbox's answer by printing a reply of its own and exiting.
const topology = { name: "forged", namespaces: { ns9: {} } };
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ kind: "value", value: topology }) + "\n"));
Deno.exit(0);
export default topology;
