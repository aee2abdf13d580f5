// Attempts: to hang netform while it reads the export, through a getter that never returns.
export default {
  name: "getter",
  namespaces: {
    get root() {
      while (true) { /* spin */ }
    },
  },
};
