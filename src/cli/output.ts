/**
 * The one printer: text to stdout, or JSON to stdout with human lines on
 * stderr, so `--json` output is always parseable. It is also the last line of
 * defence against text a terminal would interpret: whatever reaches it, names
 * from the host included, is written with every control, bidirectional and
 * invisible format character escaped (`\u001b`, `\u202e`), so nothing printed
 * can move the cursor, hide text or reorder a line.
 *
 * Line breaks: `line` writes one line, so a newline inside it (a namespace
 * name from the host, quoted raw by a message composed elsewhere) is escaped
 * as `\n` rather than starting a line netform did not mean; newlines at its
 * start or end are layout and kept, since they cannot carry text. `block`
 * writes multi-line text a renderer composed (the plan, `show`), which quotes
 * every name itself; there only LF and TAB are kept, and the SGR codes of
 * `_color.ts` when colour is on.
 *
 * @module
 */
import type { Driver } from "../drivers/driver.ts";
import { escapeUnsafe } from "../model/names.ts";
import { OWN_SEQUENCES } from "../plan/_color.ts";

const encoder = new TextEncoder();

/**
 * `text` as one line for a terminal: every character a terminal would
 * interpret escaped, newlines included, except the newlines it starts or ends
 * with (blank lines around it).
 */
export function terminalLine(text: string): string {
  const [, before = "", body = "", after = ""] = /^(\n*)([^]*?)(\n*)$/.exec(text) ?? [];
  return before + escapeUnsafe(body) + after;
}

/**
 * Multi-line `text` for a terminal: every character a terminal would
 * interpret escaped except LF, TAB and, with `color`, the SGR sequences netform
 * writes itself.
 */
export function terminalBlock(text: string, options: { color?: boolean } = {}): string {
  if (!options.color) return escapeUnsafe(text, { keepLines: true });
  const own = [...text.matchAll(OWN_SEQUENCES)].map((m) => m[0]);
  return text.split(OWN_SEQUENCES).map((part, i) =>
    escapeUnsafe(part, { keepLines: true }) + (own[i] ?? "")
  ).join("");
}

/**
 * JSON text with the characters a terminal would interpret that JSON leaves
 * raw (DEL, C1 controls, format characters, U+2028/U+2029) written as `\uXXXX`:
 * the same JSON value, safe to `cat`. They can only occur inside strings.
 */
export function terminalJson(json: string): string {
  return escapeUnsafe(json, { keepLines: true });
}

export class Output {
  constructor(readonly json: boolean) {}

  /** One line for people: stdout, or stderr in JSON mode. See {@linkcode terminalLine}. */
  line(text = ""): void {
    this.#write(this.json ? Deno.stderr : Deno.stdout, terminalLine(text) + "\n");
  }

  /**
   * Multi-line text from a renderer (`renderPlan`, `renderState`), which
   * quotes the names in it; `color` when it was rendered with colour.
   */
  block(text: string, options: { color?: boolean } = {}): void {
    this.#write(this.json ? Deno.stderr : Deno.stdout, terminalBlock(text, options) + "\n");
  }

  /** The machine-readable result (JSON mode) on stdout. */
  data(value: unknown): void {
    const text = typeof value === "string" ? value : JSON.stringify(value, null, 2) + "\n";
    this.#write(Deno.stdout, terminalJson(text));
  }

  error(text: string): void {
    this.#write(Deno.stderr, terminalLine(text) + "\n");
  }

  /** The first line of every command names the driver. */
  driver(driver: Driver): void {
    this.line(`netform: driver ${driver.name} (${driver.description})`);
  }

  #write(stream: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
    const bytes = encoder.encode(text);
    for (let done = 0; done < bytes.length;) done += stream.writeSync(bytes.subarray(done));
  }
}
