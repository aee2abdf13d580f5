// Attempts: to make an HTTP request (exfiltration, or fetching a topology from a server).
await fetch("http://127.0.0.1:8080/");
export default { name: "fetch", namespaces: {} };
