// Attempts: to replace the sandbox's answer through an inherited "then" (an object returned from an async function is awaited) and a patched Promise.prototype.then.
const forged = { kind: "value", value: { name: "forged", namespaces: { ns9: {} } } };
Object.defineProperty(Object.prototype, "then", {
  value(this: Record<string, unknown>, resolve: (v: unknown) => void) {
    delete (Object.prototype as Record<string, unknown>).then;
    resolve("kind" in this ? forged : this);
  },
  configurable: true,
  writable: true,
});
const then = Promise.prototype.then;
Promise.prototype.then = function (onFulfilled, onRejected) {
  return then.call(this, (v: unknown) => onFulfilled?.(v && typeof v === "object" && "kind" in v ? forged : v), onRejected);
};
export default function topology() {
  return forged.value;
}
