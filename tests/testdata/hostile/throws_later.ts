// Attempts: to crash the evaluation with an error thrown from a timer, after the module body ran.
setTimeout(() => {
  throw new Error("thrown from a timer");
}, 0);
await new Promise((resolve) => setTimeout(resolve, 50));
export default { name: "later", namespaces: {} };
