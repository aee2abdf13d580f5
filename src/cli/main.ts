/**
 * The command line: parse, call the library, print; one handler maps errors
 * to exit codes (0 success, 1 error, 2 changes present with --detailed-exitcode).
 *
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { ApplyError, ManifestError, NetformError } from "../errors.ts";
import { quote } from "../model/names.ts";
import {
  applyCommand,
  confirmCommand,
  destroyCommand,
  type ExitCode,
  planCommand,
  revertPendingCommand,
  showCommand,
  snapshotCommand,
  validateCommand,
} from "./commands.ts";
import { demoCommand } from "./demo.ts";
import type { Driver } from "../drivers/driver.ts";
import { setDriverWrapper, setManifestLimits } from "./host.ts";
import {
  cascadeOption,
  driverOption,
  jsonOption,
  lockTimeoutOption,
  stateInitOption,
  stateOption,
} from "./options.ts";
import { terminalBlock, terminalLine } from "./output.ts";

export const VERSION = "0.1.0";

function program(run: (code: Promise<ExitCode>) => void) {
  const cli = new Command()
    .name("netform")
    .description("Declarative, typed infrastructure-as-code for Linux host networking")
    .version(VERSION)
    .exitOverride()
    // Commander's own messages quote the command line back ("unknown option '…'").
    .configureOutput({
      writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(terminalBlock(s))),
    })
    .option(
      "--manifest-timeout <seconds>",
      "time limit for evaluating a manifest (default 10; env NETFORM_MANIFEST_TIMEOUT)",
    )
    .option(
      "--manifest-memory <MiB>",
      "memory limit for evaluating a manifest (default 512; env NETFORM_MANIFEST_MEMORY)",
    );
  cli.hook("preAction", () => setManifestLimits(cli.opts()));

  cli.command("validate").description("check a manifest without touching any host")
    .argument("<manifest>", "manifest module (.ts)")
    .addOption(jsonOption())
    .action((file, o) => run(validateCommand(file, o)));

  cli.command("plan").description("show what apply would change")
    .argument("<manifest>", "manifest module (.ts)")
    .addOption(driverOption()).addOption(stateOption()).addOption(stateInitOption())
    .addOption(jsonOption())
    .option("--out <file>", "save the plan as JSON for `apply <file>`")
    .option("--destroy", "plan the removal of everything the topology owns")
    .option("--detailed-exitcode", "exit 0 with no changes, 1 on error, 2 with changes")
    .addOption(cascadeOption())
    .action((file, o) => run(planCommand(file, o)));

  cli.command("apply").description("change the host to match a manifest or a saved plan")
    .argument("<manifest-or-plan>", "manifest module (.ts) or a plan saved with --out (.json)")
    .addOption(driverOption()).addOption(stateOption()).addOption(stateInitOption())
    .addOption(jsonOption())
    .option("--auto-approve", "do not ask for confirmation")
    .option("--no-rollback", "when a step fails, keep what was done instead of undoing it")
    .addOption(lockTimeoutOption())
    .option(
      "--confirm-within <duration>",
      "revert unless `netform confirm` (or Enter) confirms within this time, e.g. 60s",
    )
    .addOption(cascadeOption())
    .action((file, o) => run(applyCommand(file, o)));

  cli.command("destroy").description("remove everything the manifest's topology owns")
    .argument("<manifest>", "manifest module (.ts)")
    .addOption(driverOption()).addOption(stateOption()).addOption(stateInitOption())
    .addOption(jsonOption())
    .option("--auto-approve", "do not ask for confirmation")
    .option("--no-rollback", "when a step fails, keep what was done instead of undoing it")
    .addOption(lockTimeoutOption())
    .addOption(cascadeOption())
    .action((file, o) => run(destroyCommand(file, o)));

  cli.command("confirm").description("keep the change an `apply --confirm-within` waits on")
    .addOption(driverOption()).addOption(stateOption()).addOption(stateInitOption())
    .addOption(jsonOption())
    .action((o) => run(confirmCommand(o)));

  cli.command("revert-pending", { hidden: true })
    .description("revert an unconfirmed apply at its deadline (started by --confirm-within)")
    .addOption(driverOption()).addOption(stateOption())
    .action((o) => run(revertPendingCommand(o)));

  cli.command("show").description("print the host's network state as netform sees it")
    .addOption(driverOption()).addOption(stateOption()).addOption(stateInitOption())
    .addOption(jsonOption())
    .action((o) => run(showCommand(o)));

  cli.command("snapshot").description("capture the host as a snapshot for --driver sim --state")
    .addOption(driverOption()).addOption(stateOption()).addOption(stateInitOption())
    .option("--out <file>", "write the snapshot here instead of stdout")
    .action((o) => run(snapshotCommand(o)));

  cli.command("demo").description(
    "plan, apply and destroy the HOWTO example on the simulated kernel",
  )
    .action(() => run(demoCommand()));

  return cli;
}

/** Options of {@linkcode main}, for a program that runs the CLI in its own process. */
export interface MainOptions {
  /**
   * Wraps the driver each command opens (plan, apply, destroy, show, snapshot), e.g. to log
   * every operation or, in tests, to refuse one. Default: none.
   */
  wrapDriver?: (driver: Driver) => Driver;
}

/** Runs the CLI and returns the exit code. */
export async function main(args: string[], options: MainOptions = {}): Promise<number> {
  setDriverWrapper(options.wrapDriver);
  let pending: Promise<ExitCode> | undefined;
  try {
    await program((p) => (pending = p)).parseAsync(args, { from: "user" });
    return pending ? await pending : 0;
  } catch (error) {
    return report(error);
  }
}

/**
 * Prints an error on stderr and returns the exit code. Every line goes through
 * `terminalLine`: messages quote names from the host (a namespace someone
 * created with `ip netns add`, a link alias) as they are, so a newline in one
 * is escaped as `\n` rather than starting a line, and ESC, C1 controls and
 * bidi characters are escaped too. The only multi-line messages, a failed
 * apply's journal and a stack trace, are printed a line at a time.
 */
function report(error: unknown): number {
  const write = (s: string) =>
    Deno.stderr.writeSync(new TextEncoder().encode(terminalLine(s) + "\n"));
  if (error instanceof CommanderError) {
    return error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
        error.code === "commander.help"
      ? 0
      : 1;
  }
  if (error instanceof ManifestError) {
    write(`Error: Invalid manifest ${quote(error.file)}:`);
    for (const issue of error.issues) {
      write(`  - ${issue.path ? issue.path + ": " : ""}${issue.message}`);
      if (issue.hint) write(`    ${issue.hint}`);
    }
    return 1;
  }
  if (error instanceof ApplyError) {
    write(`Error: ${error.summary}`);
    for (const line of error.journal) write(line);
    return 1;
  }
  if (error instanceof NetformError) {
    write(`Error: ${error.message}`);
    return 1;
  }
  const head = String(error);
  const stack = (error as Error)?.stack;
  write(`Error: unexpected failure: ${head}`);
  // The stack's frames (V8 writes each as "    at …") after the message it starts with.
  const rest = typeof stack !== "string"
    ? ""
    : stack.startsWith(head)
    ? stack.slice(head.length)
    : stack;
  const frames = rest.split("\n").filter((l) => /^\s+at /.test(l));
  for (const frame of frames) write(frame);
  return 1;
}
