/**
 * The one printer: text to stdout, or JSON to stdout with human lines on
 * stderr, so `--json` output is always parseable.
 *
 * @module
 */
import type { Driver } from "../drivers/driver.ts";

const encoder = new TextEncoder();

export class Output {
  constructor(readonly json: boolean) {}

  /** A line for people: stdout, or stderr in JSON mode. */
  line(text = ""): void {
    const stream = this.json ? Deno.stderr : Deno.stdout;
    stream.writeSync(encoder.encode(text + "\n"));
  }

  /** The machine-readable result (JSON mode) on stdout. */
  data(value: unknown): void {
    Deno.stdout.writeSync(
      encoder.encode(typeof value === "string" ? value : JSON.stringify(value, null, 2) + "\n"),
    );
  }

  error(text: string): void {
    Deno.stderr.writeSync(encoder.encode(text + "\n"));
  }

  /** The first line of every command names the driver. */
  driver(driver: Driver): void {
    this.line(`netform: driver ${driver.name} (${driver.description})`);
  }
}
