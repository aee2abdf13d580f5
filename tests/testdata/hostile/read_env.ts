// Attempts: to read an environment variable.
export default { name: Deno.env.get("HOME") ?? "none", namespaces: {} };
