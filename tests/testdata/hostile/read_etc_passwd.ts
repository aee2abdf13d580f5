// Attempts: to read a system file and leak it through the topology name.
export default { name: Deno.readTextFileSync("/etc/passwd"), namespaces: {} };
