import { topology } from "../../../mod.ts";

export default topology({
  name: "loader-test",
  namespaces: {
    root: { links: { eth0: { kind: "existing", ipvlan: { mode: "l2" } } } },
    ns1: {
      links: { ipvl1: { kind: "ipvlan", parent: "root/eth0", addresses: ["10.0.0.2/24"] } },
      routes: [{ to: "default", via: "10.0.0.1" }],
    },
  },
});
