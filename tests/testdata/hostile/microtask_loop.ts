// Attempts: to hang netform with an endless chain of microtasks, which starves the timer it waits for.
const again = (): Promise<void> => Promise.resolve().then(again);
again();
await new Promise((resolve) => setTimeout(resolve, 0));
export default { name: "microtasks", namespaces: {} };
