// Attempts: to flood netform with an enormous default export (a 20 MiB topology name).
export default { name: "x".repeat(20 * 1024 * 1024), namespaces: {} };
