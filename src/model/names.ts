/**
 * Names and markers shared by every layer: the root namespace key, kernel name
 * limits and the ownership markers netform writes on the kernel objects it owns.
 *
 * @module
 */

/** Key of the root (initial) network namespace in a {@linkcode HostState}. */
export const ROOT_NAMESPACE = "root";

/** Longest interface name the kernel accepts (IFNAMSIZ - 1 bytes). */
export const MAX_LINK_NAME_BYTES = 15;

/**
 * Route and address protocol number that marks an object as netform's.
 * Unassigned in iproute2's `rt_protos` (kernel 0-4, bird 12, dhcp 16, babel 42,
 * FRR 186-192); 0x96 is shown by `ip route` as `proto 150`.
 */
export const NETFORM_PROTOCOL = 150;

/** Protocol numbers the kernel itself uses (`rtnetlink.h`). */
export const KERNEL_PROTOCOL = 2;
export const BOOT_PROTOCOL = 3;

/** Prefix of the link alias (IFLA_IFALIAS) that marks a link as owned by a topology. */
export const OWNER_ALIAS_PREFIX = "netform:";

/** The alias netform writes on links (and on `lo` of namespaces) that `topology` owns. */
export function ownerAlias(topology: string): string {
  return `${OWNER_ALIAS_PREFIX}${topology}`;
}

/** The topology named by an ownership alias, or `undefined` for a foreign alias. */
export function ownerOfAlias(alias: string | undefined): string | undefined {
  return alias?.startsWith(OWNER_ALIAS_PREFIX) ? alias.slice(OWNER_ALIAS_PREFIX.length) : undefined;
}

/** Well-known routing table numbers and their names, as `ip route` prints them. */
export const ROUTE_TABLES: Readonly<Record<string, number>> = {
  default: 253,
  main: 254,
  local: 255,
};

/** The display name of a routing table number (`main`, `local`, or the number). */
export function tableName(table: number): string {
  for (const [name, id] of Object.entries(ROUTE_TABLES)) if (id === table) return name;
  return String(table);
}

/** Byte length of a name as the kernel counts it (UTF-8). */
export function byteLength(name: string): number {
  return new TextEncoder().encode(name).length;
}

// ---------------------------------------------------------------- terminal-safe text

/**
 * Characters a terminal interprets, or that change how the text around them is
 * shown, instead of printing as themselves:
 *
 * - `Cc`: C0 controls U+0000–U+001F (ESC starts a CSI sequence; LF and CR move
 *   the cursor), DEL U+007F, C1 controls U+0080–U+009F (U+009B is a one-byte CSI
 *   on terminals that honour 8-bit controls);
 * - `Cf`: format characters, all invisible: the bidirectional embeddings,
 *   overrides and isolates (U+202A–U+202E, U+2066–U+2069), the marks U+200E,
 *   U+200F and U+061C, zero-width spaces and joiners (U+200B–U+200D, U+2060,
 *   U+FEFF), the soft hyphen U+00AD, the tag characters U+E0000–U+E007F, …;
 * - `Zl`, `Zp`: the line and paragraph separators U+2028 and U+2029;
 * - `Cs`: a surrogate without its pair, which is no character at all (UTF-8 has
 *   no encoding for it; it would be printed as U+FFFD).
 *
 * Deliberately not in the set: combining marks (they stack on the previous
 * character but reorder or hide nothing, and a quoted name keeps them inside
 * its quotes), spaces other than U+0020 (visible as space inside quotes), and
 * private-use and unassigned code points (a terminal prints a glyph or a box).
 */
const UNSAFE_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const BIDI = new Set([
  0x061c,
  0x200e,
  0x200f,
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
]);
const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0x00: "NUL",
  0x07: "bell",
  0x08: "backspace",
  0x09: "tab",
  0x0a: "line feed",
  0x0b: "vertical tab",
  0x0c: "form feed",
  0x0d: "carriage return",
  0x1b: "escape",
  0x7f: "delete",
  0x85: "next line",
  0x9b: "control sequence introducer",
  0xad: "soft hyphen",
  0x061c: "Arabic letter mark",
  0x200b: "zero width space",
  0x200c: "zero width non-joiner",
  0x200d: "zero width joiner",
  0x200e: "left-to-right mark",
  0x200f: "right-to-left mark",
  0x2028: "line separator",
  0x2029: "paragraph separator",
  0x202a: "left-to-right embedding",
  0x202b: "right-to-left embedding",
  0x202c: "pop directional formatting",
  0x202d: "left-to-right override",
  0x202e: "right-to-left override",
  0x2060: "word joiner",
  0x2066: "left-to-right isolate",
  0x2067: "right-to-left isolate",
  0x2068: "first strong isolate",
  0x2069: "pop directional isolate",
  0xfeff: "zero width no-break space",
};

/** A character of a string that a terminal would interpret, with where it is. */
export interface UnsafeCharacter {
  /** The code point (a lone surrogate's own value). */
  codePoint: number;
  /** Index in the string, in UTF-16 code units. */
  index: number;
}

/** The first character of `text` a terminal would interpret (see above), if any. */
export function findUnsafeCharacter(text: string): UnsafeCharacter | undefined {
  const match = UNSAFE_CHARACTER.exec(text);
  if (match === null) return undefined;
  return { codePoint: match[0].codePointAt(0)!, index: match.index };
}

/** `U+0041`: a code point as Unicode writes it. */
export function codePointLabel(codePoint: number): string {
  return "U+" + codePoint.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * `U+001B (escape), a control character`: what an unsafe character is, for a
 * message that refuses it.
 */
export function describeUnsafeCharacter(codePoint: number): string {
  const name = CHARACTER_NAMES[codePoint];
  const label = codePointLabel(codePoint) + (name === undefined ? "" : ` (${name})`);
  const char = String.fromCodePoint(codePoint);
  if (/\p{Cc}/u.test(char)) return `${label}, a control character`;
  if (BIDI.has(codePoint)) return `${label}, a bidirectional formatting character`;
  if (/\p{Cs}/u.test(char)) return `${label}, half of a surrogate pair without the other half`;
  if (/[\p{Zl}\p{Zp}]/u.test(char)) return `${label}, a line break`;
  return `${label}, an invisible format character`;
}

/** What names may contain, for the hint of a message that refuses one. */
export const PRINTABLE_HINT = "names may not contain control characters (U+0000–U+001F, " +
  "U+007F–U+009F), bidirectional, zero-width or other invisible format characters " +
  "(such as U+202E or U+200B), or line separators";

/** `\n`, `\u001b`: one unsafe character written as a JSON string escape. */
function escapeCharacter(char: string): string {
  switch (char) {
    case "\b":
      return "\\b";
    case "\t":
      return "\\t";
    case "\n":
      return "\\n";
    case "\f":
      return "\\f";
    case "\r":
      return "\\r";
  }
  let out = "";
  for (let i = 0; i < char.length; i++) {
    out += "\\u" + char.charCodeAt(i).toString(16).padStart(4, "0");
  }
  return out;
}

/**
 * `text` in double quotes, safe to print on a terminal and valid JSON: `"` and
 * `\` are escaped as JSON escapes them, and so is every character a terminal
 * would interpret (controls, bidirectional and other format characters, line
 * separators, lone surrogates), which JSON itself leaves as they are past
 * U+001F. The renderer quotes every name and value it prints with it.
 *
 * @example
 * ```ts
 * import { quote } from "./names.ts";
 * quote("ns1"); // '"ns1"'
 * quote("a\x1b[8mb\u202e"); // '"a\\u001b[8mb\\u202e"'
 * ```
 */
export function quote(text: string): string {
  return JSON.stringify(text).replace(UNSAFE_CHARACTERS, escapeCharacter);
}

/**
 * `text` with every character a terminal would interpret written as a JSON
 * escape (`\u001b`), without adding quotes. With `keepLines`, LF and TAB stay
 * as they are: for multi-line text netform composed itself.
 */
export function escapeUnsafe(text: string, options: { keepLines?: boolean } = {}): string {
  if (!options.keepLines) return text.replace(UNSAFE_CHARACTERS, escapeCharacter);
  return text.replace(
    UNSAFE_CHARACTERS,
    (char) => char === "\n" || char === "\t" ? char : escapeCharacter(char),
  );
}

// ---------------------------------------------------------------- interface names

/**
 * Bytes the kernel's `isspace()` is true for (lib/ctype.c): TAB, LF, VT, FF, CR,
 * space and 0xA0 (Latin-1's no-break space). `dev_valid_name` tests each byte
 * of the name, so 0xA0 is refused even inside a UTF-8 sequence: "à" (C3 A0) and
 * "Р" (D0 A0) are not interface names, though U+3000 (E3 80 80) is.
 */
const KERNEL_SPACE_BYTES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]);

/** Why the kernel refuses an interface name. */
export type KernelNameProblem =
  | { problem: "empty" }
  | { problem: "too long"; bytes: number }
  | { problem: "dot" }
  | { problem: "separator"; char: "/" | ":" }
  | { problem: "space"; char: string };

/**
 * Why the kernel refuses `name` as an interface name, or `undefined`: the
 * IFLA_IFNAME policy (at most IFNAMSIZ - 1 bytes, `ERANGE`) and
 * `dev_valid_name` (not empty, `.` or `..`, no `/`, `:` or `isspace()` byte,
 * `EINVAL`). Checked on this host's kernel (6.18): ESC, DEL, C1 controls and
 * U+202E are accepted, `a b`, `à` and `Р` refused. A `%` is not refused by
 * `dev_valid_name` but read as a template (see {@linkcode hasNameTemplate}).
 */
export function kernelNameProblem(name: string): KernelNameProblem | undefined {
  if (name === "") return { problem: "empty" };
  const bytes = byteLength(name);
  if (bytes > MAX_LINK_NAME_BYTES) return { problem: "too long", bytes };
  if (name === "." || name === "..") return { problem: "dot" };
  for (const char of name) {
    if (char === "/" || char === ":") return { problem: "separator", char };
    if (new TextEncoder().encode(char).some((b) => KERNEL_SPACE_BYTES.has(b))) {
      return { problem: "space", char };
    }
  }
  return undefined;
}

/**
 * Whether the kernel would read `name` as a template rather than a name:
 * `dev_get_valid_name` (net/core/dev.c) hands a name with `%` to
 * `dev_alloc_name`, which turns one `%d` into the lowest free number (on this
 * host's 6.18, `ip link add a%d type bridge` made `a0`) and refuses any other
 * `%` with `EINVAL`. So no interface is ever called `x%d`, and a link created
 * under such a name would get another one.
 */
export function hasNameTemplate(name: string): boolean {
  return name.includes("%");
}
