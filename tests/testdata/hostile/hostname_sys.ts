// Attempts: to read system information (the host name).
export default { name: Deno.hostname(), namespaces: {} };
