/**
 * Builtins the sandboxed evaluator (`_child.ts`, `plain_data.ts`) uses after
 * the manifest has run, captured when this module is evaluated: before the
 * manifest is imported. The manifest shares the evaluator's realm and may
 * replace any global, prototype method or getter (`JSON.stringify`,
 * `Array.prototype.push`, `Uint8Array.prototype.constructor`, an
 * `Object.prototype.get`, …); code after the import calls only what is
 * captured here, through `Reflect.apply`, never a method looked up at call
 * time.
 *
 * Rules for that code (the reason for each is an attack the hostile corpus
 * tries): objects it creates have a null prototype (no inherited `then`,
 * `toJSON`, index setters or descriptor fields); it does not spread, iterate
 * with `for…of` or use regular expressions (each consults patchable
 * prototypes); it reads the manifest's objects through property descriptors
 * only.
 *
 * @module
 */
import { types } from "node:util";

const { apply, defineProperty, getOwnPropertyDescriptor, getPrototypeOf, ownKeys, setPrototypeOf } =
  Reflect;
const bind = Function.prototype.bind;
const call = Function.prototype.call;

/** `fn` as a function taking its receiver first: `uncurryThis(String.prototype.slice)(s, 0, 1)`. */
// deno-lint-ignore no-explicit-any
function uncurryThis<T, A extends any[], R>(
  fn: (this: T, ...args: A) => R,
): (self: T, ...args: A) => R {
  return apply(bind, call, [fn]);
}

function getter<T, R>(proto: object, key: PropertyKey): (self: T) => R {
  const descriptor = getOwnPropertyDescriptor(proto, key);
  if (!descriptor?.get) throw new Error(`Cannot capture the getter "${String(key)}"`);
  return uncurryThis(descriptor.get as (this: T) => R);
}

const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype) as object;

export const ReflectApply = apply;
export const ReflectDefineProperty = defineProperty;
export const ReflectGetOwnPropertyDescriptor = getOwnPropertyDescriptor;
export const ReflectGetPrototypeOf = getPrototypeOf;
export const ReflectOwnKeys = ownKeys;
export const ReflectSetPrototypeOf = setPrototypeOf;
export const ObjectCreate = Object.create;
export const ObjectHasOwn = Object.hasOwn;
export const ObjectPrototype = Object.prototype;
export const ArrayIsArray = Array.isArray;
export const ArrayPrototype = Array.prototype;
export const NumberCtor = Number;
export const NumberIsFinite = Number.isFinite;
export const NumberIsInteger = Number.isInteger;
export const StringCtor = String;
export const StringPrototypeSlice = uncurryThis(String.prototype.slice);
export const SymbolPrototypeGetDescription = getter<symbol, string | undefined>(
  Symbol.prototype,
  "description",
);
export const JSONStringify = JSON.stringify;
export const Uint8ArrayCtor = Uint8Array;
export const ArrayBufferCtor = ArrayBuffer;
export const TypedArrayPrototypeGetLength = getter<Uint8Array, number>(
  TypedArrayPrototype,
  "length",
);
export const TypedArrayPrototypeSet = uncurryThis(
  Uint8Array.prototype.set as (this: Uint8Array, source: Uint8Array, offset: number) => void,
);
export const TextEncoderPrototypeEncode = uncurryThis(TextEncoder.prototype.encode);
export const isProxy = types.isProxy;

/** A fresh object with no prototype: nothing the manifest defines on `Object.prototype` shows through. */
export function nullObject<T extends object>(): T {
  return ObjectCreate(null) as T;
}

/** A fresh array with no prototype (`JSON.stringify` still writes it as an array). */
export function nullArray<T>(): T[] {
  const array: T[] = [];
  setPrototypeOf(array, null);
  return array;
}
