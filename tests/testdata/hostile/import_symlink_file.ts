// Attempts: to read a file outside its folder through a symbolic link inside it (outside.json -> ../../../deno.json).
import config from "./outside.json" with { type: "json" };
export default { name: JSON.stringify(config), namespaces: {} };
