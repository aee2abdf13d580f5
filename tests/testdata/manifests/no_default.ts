export const topology = { name: "no-default", namespaces: {} };
