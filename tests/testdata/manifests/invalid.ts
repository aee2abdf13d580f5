export default {
  name: "invalid",
  namespaces: { ns1: { links: { ipvl1: { kind: "ipvlan", parent: "root/eth9" } } } },
};
