// Attempts: to load a package from the JSR registry.
await import("jsr:@std/path@1");
export default { name: "jsr", namespaces: {} };
