// Attempts: to run code while netform reads the export, by exporting a Proxy whose traps lie.
export default new Proxy({ name: "proxy", namespaces: {} }, {
  ownKeys: () => ["name", "namespaces", "extra"],
  get: (target, key) => key === "extra" ? "surprise" : Reflect.get(target, key),
});
