// Attempts: to hang netform by awaiting a promise that an interval timer keeps alive forever.
await new Promise(() => setInterval(() => {}, 1000));
export default { name: "timer", namespaces: {} };
