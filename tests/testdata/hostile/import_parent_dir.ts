// Attempts: to read a file outside its folder by importing it through "..".
import config from "../../../deno.json" with { type: "json" };
export default { name: JSON.stringify(config), namespaces: {} };
