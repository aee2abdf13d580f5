// Attempts: to export a class instance (a Map), whose contents a plain copy would silently drop.
export default { name: "map", namespaces: new Map([["root", {}]]) };
