/**
 * Golden files: compare output with a stored file exactly. Run with
 * `UPDATE_GOLDEN=1` to (re)write the files instead.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** The tests' root directory, so golden paths are independent of the working directory. */
const TESTS_DIR = dirname(fileURLToPath(import.meta.url));

function updating(): boolean {
  try {
    return Deno.env.get("UPDATE_GOLDEN") === "1";
  } catch {
    return false;
  }
}

/** Asserts `actual` equals the file at `path` (relative to `tests/`), or writes it when updating. */
export async function assertGolden(path: string, actual: string): Promise<void> {
  const file = `${TESTS_DIR}/${path}`;
  if (updating()) {
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      assert.fail(
        `Golden file ${path} is missing: run the tests with UPDATE_GOLDEN=1 to create it`,
      );
    }
    throw e;
  }
  assert.equal(actual, expected, `Output differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`);
}
