// Attempts: to write a file into its own folder (pwned.txt).
Deno.writeTextFileSync(new URL("./pwned.txt", import.meta.url), "pwned");
export default { name: "write", namespaces: {} };
