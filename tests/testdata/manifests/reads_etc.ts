const hostname = Deno.readTextFileSync("/etc/hostname").trim();

export default { name: hostname, namespaces: {} };
