// Attempts: to run a shell command through Node's child_process.
import { execSync } from "node:child_process";
export default { name: String(execSync("ip link")), namespaces: {} };
