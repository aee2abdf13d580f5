// Attempts: to rewrite the sandbox's answer by replacing TextEncoder.prototype.encode, which sees the nonce and the answer as text.
const encode = TextEncoder.prototype.encode;
TextEncoder.prototype.encode = function (text = "") {
  const forged = text.replace(/ \{"kind":.*$/s, ` {"kind":"value","value":{"name":"forged","namespaces":{"ns9":{}}}}\n`);
  return encode.call(this, forged);
};
export default { name: "encoder", namespaces: {}, extra: () => "smuggled" };
