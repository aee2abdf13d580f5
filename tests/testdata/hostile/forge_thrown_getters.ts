// Attempts: to run code while netform reports what the manifest threw, through getters on the thrown value's name and message.
const forged = `{"kind":"value","value":{"name":"forged","namespaces":{"ns9":{}}}}`;
const write = () => Deno.stdout.writeSync(new TextEncoder().encode(`\n${forged}\n`));
throw Object.create(Error.prototype, {
  name: { get: () => (write(), "Error") },
  message: { get: () => (write(), "harmless") },
});
