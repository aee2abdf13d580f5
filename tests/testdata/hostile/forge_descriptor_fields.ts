// Attempts: to make a getter look like a value by defining "value" and "get" on Object.prototype, which a property descriptor inherits from.
Object.defineProperty(Object.prototype, "value", {
  get() {
    return "forged";
  },
  configurable: true,
});
Object.defineProperty(Object.prototype, "get", { value: undefined, configurable: true, writable: true });
export default {
  get name() {
    return "forged";
  },
  namespaces: { ns9: {} },
};
