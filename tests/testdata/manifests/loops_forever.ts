while (true) {
  // never ends
}

export default { name: "loop", namespaces: {} };
