// Attempts: to rewrite the sandbox's answer through toJSON on Object.prototype and Array.prototype, which JSON.stringify calls on every object.
const forged = { kind: "value", value: { name: "forged", namespaces: { ns9: {} } } };
for (const proto of [Object.prototype, Array.prototype]) {
  Object.defineProperty(proto, "toJSON", {
    value(this: Record<string, unknown>) {
      return "kind" in this ? forged : this;
    },
    configurable: true,
  });
}
export default { name: "to-json", namespaces: { ns9: { links: { d0: { kind: "dummy", up: () => true } } } } };
