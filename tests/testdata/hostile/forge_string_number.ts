// Attempts: to slip a non-finite number past netform's copy by replacing Number.isFinite, and a named array key by replacing RegExp and String methods.
Number.isFinite = () => true;
globalThis.Number = new Proxy(Number, { apply: () => 0 });
RegExp.prototype.test = () => true;
RegExp.prototype.exec = () => [""] as unknown as RegExpExecArray;
String.prototype.slice = () => "";
globalThis.String = (() => "0") as unknown as StringConstructor;
const routes: unknown[] = [];
(routes as unknown as Record<string, unknown>).extra = 1;
export default { name: "numbers", namespaces: { ns1: { routes } }, mtu: Infinity };
