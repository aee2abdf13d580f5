// Attempts: to hang netform with a top-level await on a promise that can never settle.
await new Promise(() => {});
export default { name: "never", namespaces: {} };
