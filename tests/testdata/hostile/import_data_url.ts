// Attempts: to escape the sandbox by running code from a data: URL, which then reads /etc/hostname.
await import("data:text/javascript,export default Deno.readTextFileSync('/etc/hostname')");
export default { name: "data", namespaces: {} };
