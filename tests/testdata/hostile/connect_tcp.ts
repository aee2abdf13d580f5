// Attempts: to open a TCP connection.
const conn = await Deno.connect({ hostname: "127.0.0.1", port: 9 });
conn.close();
export default { name: "tcp", namespaces: {} };
