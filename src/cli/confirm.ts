/**
 * Asking before changing the host: only on a terminal, and only "yes" counts.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Output } from "./output.ts";

export async function confirm(
  out: Output,
  question: string,
  autoApprove: boolean,
): Promise<boolean> {
  if (autoApprove) return true;
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError(
      "Cannot ask for confirmation: standard input is not a terminal; pass --auto-approve to apply without asking",
    );
  }
  out.line(question);
  out.line("  Only 'yes' will be accepted to approve.");
  Deno.stdout.writeSync(new TextEncoder().encode("\n  Enter a value: "));
  const buf = new Uint8Array(1024);
  const n = await Deno.stdin.read(buf);
  const answer = new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim();
  return answer === "yes";
}
