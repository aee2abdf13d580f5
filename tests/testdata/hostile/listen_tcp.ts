// Attempts: to open a listening socket (a backdoor while netform runs).
Deno.listen({ port: 0 });
export default { name: "listen", namespaces: {} };
