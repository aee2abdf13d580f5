// Attempts: to run code when the export is turned into a string, with Symbol.toPrimitive.
export default {
  name: "primitive",
  namespaces: {},
  [Symbol.toPrimitive]() {
    while (true) { /* spin */ }
  },
};
