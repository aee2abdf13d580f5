export default {
  name: "fn-inside",
  namespaces: { ns1: { links: { d0: { kind: "dummy", up: () => true } } } },
};
