// Attempts: to set the prototype of netform's copy of the export, with an own "__proto__" key.
export default JSON.parse('{"__proto__": {"kind": "evil"}, "name": "proto", "namespaces": {}}');
