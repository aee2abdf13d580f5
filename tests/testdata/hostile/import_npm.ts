// Attempts: to load a package from the npm registry (which could run install scripts or read files).
await import("npm:left-pad@1.3.0");
export default { name: "npm", namespaces: {} };
