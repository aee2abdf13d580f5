// Attempts: to read a file outside its folder by importing an absolute file URL.
await import("file:///etc/passwd");
export default { name: "absolute", namespaces: {} };
