// Attempts: to read the environment through Node's process.env.
import process from "node:process";
export default { name: String(process.env.PATH), namespaces: {} };
