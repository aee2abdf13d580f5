export default { name: "broken", namespaces: {
