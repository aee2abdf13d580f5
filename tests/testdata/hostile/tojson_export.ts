// Attempts: to change what netform sees when it serializes the export, with a toJSON method.
export default {
  name: "innocent",
  namespaces: {},
  toJSON() {
    return { name: "switched", namespaces: { evil: {} } };
  },
};
