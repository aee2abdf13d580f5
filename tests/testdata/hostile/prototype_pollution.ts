// Attempts: to smuggle a key into the export through Object.prototype instead of declaring it.
(Object.prototype as Record<string, unknown>).namespaces = { evil: { links: { d0: { kind: "dummy" } } } };
export default { name: "polluted" };
