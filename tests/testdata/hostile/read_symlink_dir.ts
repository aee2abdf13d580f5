// Attempts: to read a file outside its folder through a symbolic link to a directory (outside_dir -> ../manifests).
const text = Deno.readTextFileSync(new URL("./outside_dir/valid.ts", import.meta.url));
export default { name: text, namespaces: {} };
