// Attempts: to escape the sandbox by running code from a blob: URL, which then opens a socket.
const url = URL.createObjectURL(
  new Blob(["await Deno.connect({ hostname: '127.0.0.1', port: 9 });"], { type: "text/javascript" }),
);
await import(url);
export default { name: "blob", namespaces: {} };
