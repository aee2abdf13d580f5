/**
 * Files that must never be seen half-written: the simulator's state, the intent and
 * pending-revert records. A process killed mid-write leaves the old file whole.
 *
 * @module
 */

/** Writes `text` to `path` through a temporary file, fsynced, then renamed over it. */
export async function writeDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  const bytes = new TextEncoder().encode(text);
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o644 });
  try {
    // write() may take fewer bytes than it is given.
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
}
