// Attempts: to run a program (here `id`) from the manifest.
const out = new Deno.Command("id").outputSync();
export default { name: new TextDecoder().decode(out.stdout), namespaces: {} };
