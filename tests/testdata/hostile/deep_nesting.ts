// Attempts: to overflow the stack of whoever walks the export, with data nested 100 000 levels deep.
let deep: Record<string, unknown> = {};
for (let i = 0; i < 100_000; i++) deep = { inner: deep };
export default { name: "deep", namespaces: { root: deep } };
