// Attempts: to start a Worker (a second heap, which a per-heap limit would count separately).
new Worker("data:text/javascript,while(true){}", { type: "module" });
export default { name: "worker", namespaces: {} };
