// Attempts: to end netform's evaluation with Deno.exit(0), as if it had succeeded.
Deno.exit(0);
export default { name: "exit", namespaces: {} };
