export default function topology() {
  return { name: "fn", namespaces: {} };
}
