// Attempts: to block the evaluating thread for ever with Atomics.wait on a SharedArrayBuffer.
const cell = new Int32Array(new SharedArrayBuffer(4));
Atomics.wait(cell, 0, 0);
export default { name: "atomics", namespaces: {} };
