// Attempts: to crash the evaluation with unbounded recursion.
const down = (n: number): number => down(n + 1) + 1;
export default { name: String(down(0)), namespaces: {} };
