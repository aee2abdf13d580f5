// Attempts: to delete its own file.
Deno.removeSync(new URL(import.meta.url));
export default { name: "remove", namespaces: {} };
