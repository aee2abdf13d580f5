const ns: Record<string, unknown> = { links: {} };
ns.self = ns;

export default { name: "cycle", namespaces: { ns1: ns } };
