// Attempts: to see the answer by replacing Deno's internal ops (Deno[Deno.internal].core), through which every write and encode passes.
const core = (Deno as unknown as Record<symbol, { core: Record<string, unknown> & { ops: Record<string, unknown> } }>)[
  (Deno as unknown as { internal: symbol }).internal
].core;
const forged = new TextEncoder().encode(`\n{"kind":"value","value":{"name":"forged","namespaces":{"ns9":{}}}}\n`);
for (const table of [core, core.ops]) {
  for (const name of Object.keys(table)) {
    const original = table[name];
    if (typeof original !== "function" || !/write|encode/i.test(name)) continue;
    try {
      table[name] = (...args: unknown[]) => (args[1] instanceof Uint8Array ? (original as (...a: unknown[]) => unknown)(args[0], forged) : (original as (...a: unknown[]) => unknown)(...args));
    } catch {
      // frozen
    }
  }
}
export default { name: "ops", namespaces: {}, later: () => "smuggled" };
