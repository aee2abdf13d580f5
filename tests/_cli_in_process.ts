/**
 * The command line run in the test's own process (`main()`), its stdout and stderr captured
 * together: for tests that wrap the driver of a command (see `MainOptions.wrapDriver`).
 */
import { main, type MainOptions } from "../src/cli/main.ts";

export async function cli(
  args: string[],
  options: MainOptions = {},
): Promise<{ code: number; output: string }> {
  const chunks: string[] = [];
  const out = Deno.stdout.writeSync;
  const err = Deno.stderr.writeSync;
  const capture = (bytes: Uint8Array) => {
    chunks.push(new TextDecoder().decode(bytes));
    return bytes.length;
  };
  Deno.stdout.writeSync = capture;
  Deno.stderr.writeSync = capture;
  try {
    return { code: await main(args, options), output: chunks.join("") };
  } finally {
    Deno.stdout.writeSync = out;
    Deno.stderr.writeSync = err;
  }
}

/** The number of steps `plan ARGS --json` shows. */
export async function stepCount(args: string[]): Promise<number> {
  const run = await cli(["plan", ...args, "--json"]);
  if (run.code !== 0) throw new Error(`plan ${args.join(" ")}: ${run.output}`);
  const json = run.output.slice(run.output.indexOf("{"));
  return (JSON.parse(json) as { steps: unknown[] }).steps.length;
}
