// Attempts: to load code from the internet with a static import of an https URL.
import "https://deno.land/std@0.224.0/path/mod.ts";
export default { name: "remote", namespaces: {} };
