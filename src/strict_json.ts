/**
 * JSON as netform reads its own files: `JSON.parse`, plus a refusal of
 * duplicate keys. `JSON.parse` keeps the last of two equal keys and says
 * nothing, so `{"mtu": 1500, "mtu": 9000}` would be read as 9000 while a
 * reviewer (or another JSON reader, which may keep the first) sees 1500.
 *
 * The duplicate check is a second pass over text `JSON.parse` has already
 * accepted, so it needs no error handling of its own: it follows only the
 * structure (`{ } [ ] , "`), jumps over strings with `indexOf`, and decodes a
 * key only when it holds an escape (`"a"` and `"\u0061"` are the same key).
 *
 * @module
 */

/** A JSON path as segments: object keys and array indexes. */
export type JsonPath = (string | number)[];

/** Two equal keys in one object; `path` ends with the key, at its second occurrence. */
export class DuplicateKeyError extends Error {
  override name = "DuplicateKeyError";
  constructor(readonly path: JsonPath, readonly key: string) {
    super(`duplicate key ${JSON.stringify(key)}`);
  }
}

/**
 * Parses JSON text, refusing duplicate keys in any object at any depth.
 *
 * @throws {SyntaxError} from `JSON.parse` when the text is not JSON.
 * @throws {DuplicateKeyError} naming the path of the second occurrence.
 *
 * @example
 * ```ts
 * import { parseStrictJson } from "./strict_json.ts";
 * parseStrictJson('{"a": [{"b": 1}]}'); // { a: [{ b: 1 }] }
 * // parseStrictJson('{"a": [{"b": 1, "b": 2}]}') throws at ["a", 0, "b"]
 * ```
 */
export function parseStrictJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  const duplicate = findDuplicateKey(text);
  if (duplicate) throw new DuplicateKeyError(duplicate.path, duplicate.key);
  return value;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The first duplicate key in `text`, which must be valid JSON (what
 * `JSON.parse` accepts); undefined when there is none.
 */
export function findDuplicateKey(text: string): { path: JsonPath; key: string } | undefined {
  // One entry per open container: its keys so far (undefined for an array),
  // and where inside it we are (the current key, or the current index).
  const keys: (KeySet | undefined)[] = [];
  const at: JsonPath = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? JSON.parse(text.slice(i, end + 1)) as string : raw;
        const seen = keys[keys.length - 1]!;
        at[at.length - 1] = key;
        if (!seen.add(key)) return { path: at.slice(), key };
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT) {
      keys.push(new KeySet());
      at.push("");
      expectKey = true;
    } else if (c === OPEN_ARRAY) {
      keys.push(undefined);
      at.push(0);
      expectKey = false;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      keys.pop();
      at.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const top = at.length - 1;
      if (keys[top] === undefined) {
        at[top] = (at[top] as number) + 1;
        expectKey = false;
      } else expectKey = true;
    }
  }
  return undefined;
}

/**
 * The keys of one object. Most objects have a handful of keys, and a linear
 * search over a few is faster than hashing (about a fifth of the scan's time
 * on a 64 MiB snapshot); past {@linkcode KeySet.LINEAR} keys a Set takes over,
 * so an object with a million keys still costs linear time.
 */
class KeySet {
  static readonly LINEAR = 16;
  #list: string[] = [];
  #set: Set<string> | undefined;

  /** Adds `key`; false when it was there already. */
  add(key: string): boolean {
    if (this.#set) {
      if (this.#set.has(key)) return false;
      this.#set.add(key);
      return true;
    }
    if (this.#list.includes(key)) return false;
    this.#list.push(key);
    if (this.#list.length > KeySet.LINEAR) this.#set = new Set(this.#list);
    return true;
  }
}

/** Index of the quote that ends the string opening at `start`. */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** `$.namespaces.root.links[0].mtu`; keys that are not identifiers as `["key"]`. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
