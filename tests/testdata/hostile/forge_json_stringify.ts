// Attempts: to rewrite the sandbox's answer by replacing JSON.stringify, so that a getter in the export passes.
JSON.stringify = () => `{"kind":"value","value":{"name":"forged","namespaces":{"ns9":{}}}}`;
export default {
  get name() {
    return "forged";
  },
  namespaces: { ns9: {} },
};
