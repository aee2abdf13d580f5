// Attempts: to exhaust memory with JavaScript objects (the V8 heap).
const hoard: unknown[] = [];
while (true) hoard.push({ index: hoard.length, text: "x" + hoard.length });
export default { name: "heap", namespaces: {} };
