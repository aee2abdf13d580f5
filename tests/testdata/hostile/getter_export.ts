// Attempts: to run code while netform reads the export, through a getter (which could answer differently each time).
let reads = 0;
export default {
  get name() {
    reads++;
    return reads === 1 ? "harmless" : "x".repeat(1e9);
  },
  namespaces: {},
};
