// Attempts: to change netform's copy of the export by replacing Object.defineProperty, Reflect.defineProperty, Object.create and Object.setPrototypeOf.
const forged = { name: "forged", namespaces: { ns9: {} } };
Object.defineProperty = Reflect.defineProperty = ((o: object) => o) as typeof Object.defineProperty;
Object.create = () => forged;
Object.setPrototypeOf = Reflect.setPrototypeOf = ((o: object) => Object.assign(o, forged)) as typeof Object.setPrototypeOf;
export default { name: "define", namespaces: {}, later: () => "smuggled" };
