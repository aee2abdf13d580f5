// Attempts: to hang netform with a loop that never ends (a busy CPU, no await).
while (true) {
  // spin
}
export default { name: "loop", namespaces: {} };
