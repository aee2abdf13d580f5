// Attempts: to hide a function from netform's copy by replacing the reflection builtins it could use (keys, descriptors, prototypes, Array.isArray).
const hidden = (keys: PropertyKey[]) => keys.filter((k) => k !== "up");
const { ownKeys, getOwnPropertyDescriptor } = Reflect;
Reflect.ownKeys = (o: object) => hidden(ownKeys(o));
Object.getOwnPropertyNames = (o: object) => hidden(ownKeys(o)).filter((k) => typeof k === "string") as string[];
Object.keys = Object.getOwnPropertyNames;
Object.getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor = (o: object, k: PropertyKey) =>
  k === "up" ? undefined : getOwnPropertyDescriptor(o, k);
Object.getPrototypeOf = Reflect.getPrototypeOf = () => Object.prototype;
Array.isArray = () => false;
Object.hasOwn = () => true;
export default {
  name: "reflection",
  namespaces: { ns1: { links: { d0: { kind: "dummy", up: () => true } } } },
};
