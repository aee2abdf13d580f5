// Attempts: to exhaust memory by doubling a string until it cannot grow.
let text = "netform";
while (true) text += text;
export default { name: text, namespaces: {} };
