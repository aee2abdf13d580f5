/**
 * One reader for the JSON records netform keeps for itself (the intent and
 * pending-revert records): {@linkcode readRegularFile}'s checks (a regular
 * file, within a size limit, UTF-8), then {@linkcode parseStrictJson}'s
 * (JSON, no duplicate keys). The state file and saved plans go through the
 * same two, with the messages of their own formats.
 *
 * @module
 */
import { readRegularFile } from "./read_regular_file.ts";
import { DuplicateKeyError, formatJsonPath, parseStrictJson } from "./strict_json.ts";

/** What reading a JSON file gave: its value, nothing, or why it was refused. */
export type JsonFileRead =
  | { kind: "read"; value: unknown }
  | { kind: "missing" }
  | { kind: "refused"; detail: string };

/**
 * Reads and parses `path`. A refusal's `detail` reads as the end of a
 * sentence: `it is a named pipe (FIFO), not a regular file`,
 * `$.undo[2].op: duplicate key "op"`.
 *
 * @example
 * ```ts
 * import { readJsonFile } from "./read_json_file.ts";
 * const read = await readJsonFile("/nonexistent.json", 1024);
 * // { kind: "missing" }
 * ```
 */
export async function readJsonFile(path: string, maxBytes: number): Promise<JsonFileRead> {
  const read = await readRegularFile(path, maxBytes);
  if (read.kind === "missing") return read;
  if (read.kind !== "read") return { kind: "refused", detail: read.detail };
  try {
    return { kind: "read", value: parseStrictJson(read.text) };
  } catch (e) {
    return { kind: "refused", detail: describeJsonError(e) };
  }
}

/** A {@linkcode parseStrictJson} failure in words, with the JSON path of a duplicate key. */
export function describeJsonError(e: unknown, format = formatJsonPath): string {
  if (e instanceof DuplicateKeyError) {
    return `${format(e.path)}: duplicate key ${JSON.stringify(e.key)} (a JSON reader keeps ` +
      `only one of the two)`;
  }
  return `not JSON (${(e as Error).message})`;
}
