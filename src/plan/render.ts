/**
 * Human-readable plan output in Terraform's shape: a legend of the symbols
 * used, one commented block per change, and a summary line.
 *
 * ```text
 * Resource actions are indicated with the following symbols:
 *   + create
 *
 * netform will perform the following actions:
 *
 *   # link.ns1.ipvl1 will be created
 *   + link "ipvl1" {
 *       + kind = "ipvlan"
 *       + mtu  = 1500
 *     }
 *
 * Plan: 1 to add, 0 to change, 0 to destroy.
 * ```
 *
 * Symbols: `+` create, `~` update in place, `-` destroy, `-/+` replace
 * (destroy, then create), and `=` import. Terraform has no symbol for imports;
 * netform uses `=` because an imported object already matches the topology and
 * is only marked as owned. Inside an import block, matching attributes are shown
 * without a symbol and any attribute that still changes (the ownership marker)
 * with `~`.
 *
 * Attributes are listed by name in alphabetical order, as Terraform does, so
 * the output does not depend on key order in a saved plan. An attribute that is
 * `null` and one that is absent are the same.
 *
 * `Change.reason` is a short lowercase clause shown as `# (because REASON)`
 * under the header; a leading "because " in it is not repeated.
 *
 * Nothing from the plan is printed as it is: names and string values are
 * quoted with `quote`, and addresses, attribute names and reasons (which embed
 * names) pass through `escapeUnsafe`, so a name someone else gave a namespace
 * or a link alias (ESC, a newline, U+202E) prints as `\u001b`, `\n`,
 * `\u202e` on the line it belongs to. Only the SGR codes of `_color.ts` are
 * written raw, and only with colour on.
 *
 * @module
 */
import { escapeUnsafe, quote } from "../model/names.ts";
import { type Colors, createColors } from "./_color.ts";
import type { Action, Attributes, AttributeValue, Change, Plan } from "./plan.ts";

export interface RenderOptions {
  /** ANSI colours; off unless `true` (see {@linkcode shouldUseColor}). */
  color?: boolean;
}

/** Counts of an apply that finished. */
export interface ApplyResult {
  added: number;
  changed: number;
  destroyed: number;
  imported: number;
}

/** The legend lines, in display order; only those of actions present are printed. */
const LEGEND: ReadonlyArray<{ action: Action; text: string }> = [
  { action: "create", text: "create" },
  { action: "update", text: "update in-place" },
  { action: "delete", text: "destroy" },
  { action: "replace", text: "destroy and then create replacement" },
  { action: "import", text: "import" },
];

/** Renders a plan for a terminal or a log. Ends with a newline. */
export function renderPlan(plan: Plan, options: RenderOptions = {}): string {
  const c = createColors(options.color === true);
  if (plan.changes.length === 0) {
    return (plan.kind === "destroy"
      ? c.bold(c.green("No objects need to be destroyed."))
      : c.bold(c.green(`No changes.`)) +
        ` The host matches the topology ${quote(plan.topology)}.`) + "\n";
  }

  const out: string[] = [];
  out.push("Resource actions are indicated with the following symbols:");
  const used = new Set(plan.changes.map((ch) => ch.action));
  for (const { action, text } of LEGEND) {
    if (used.has(action)) out.push(`${symbol(action, c)} ${text}`);
  }
  out.push("", "netform will perform the following actions:", "");
  for (const change of plan.changes) out.push(...renderChange(change, c), "");

  const { import: imports, add, change, destroy } = plan.summary;
  out.push(
    c.bold("Plan:") + " " + (imports > 0 ? `${imports} to import, ` : "") +
      `${add} to add, ${change} to change, ${destroy} to destroy.`,
  );
  if (plan.irreversible !== undefined && plan.irreversible.length > 0) {
    out.push(
      "",
      c.bold(c.yellow("Steps that a rollback cannot undo exactly:")),
      ...plan.irreversible.map((i) =>
        `  step ${i.step} (${escapeUnsafe(i.change)}): ${escapeUnsafe(i.reason)}`
      ),
    );
  }
  if (plan.foreign !== undefined && plan.foreign.length > 0) {
    out.push(
      "",
      c.bold(
        c.red("Objects this topology does not own that go with it (--allow-cascade-foreign):"),
      ),
      ...plan.foreign.map((f) =>
        `  ${escapeUnsafe(f.object)}: ${escapeUnsafe(f.effect)} by step ${f.step} (${
          escapeUnsafe(f.change)
        })`
      ),
    );
  }
  return out.join("\n") + "\n";
}

/**
 * `Apply complete! Resources: …` as Terraform prints it; imports only when
 * there were some. With `destroy`: `Destroy complete! Resources: N destroyed.`
 */
export function renderApplyResult(
  result: ApplyResult,
  options: RenderOptions & { destroy?: boolean } = {},
): string {
  const c = createColors(options.color === true);
  if (options.destroy) {
    return c.bold(c.green("Destroy complete!")) + ` Resources: ${result.destroyed} destroyed.\n`;
  }
  const imported = result.imported > 0 ? `${result.imported} imported, ` : "";
  return c.bold(c.green("Apply complete!")) +
    ` Resources: ${imported}${result.added} added, ${result.changed} changed, ${result.destroyed} destroyed.\n`;
}

/**
 * Whether to colour output written to stdout: it is a terminal and `NO_COLOR`
 * is unset or empty (https://no-color.org). Without permission to read
 * `NO_COLOR`, no colour (and no permission prompt).
 */
export function shouldUseColor(): boolean {
  try {
    if (!Deno.stdout.isTerminal()) return false;
    const status = Deno.permissions.querySync({ name: "env", variable: "NO_COLOR" });
    if (status.state !== "granted") return false;
    return (Deno.env.get("NO_COLOR") ?? "") === "";
  } catch {
    return false;
  }
}

/** The action symbol, right-aligned to three columns as Terraform does. */
function symbol(action: Action, c: Colors): string {
  switch (action) {
    case "create":
      return "  " + c.green("+");
    case "update":
      return "  " + c.yellow("~");
    case "delete":
      return "  " + c.red("-");
    case "replace":
      return c.red("-") + "/" + c.green("+");
    case "import":
      return "  " + c.cyan("=");
  }
}

function header(change: Change, c: Colors): string {
  const addr = c.bold(`  # ${escapeUnsafe(change.address)}`);
  switch (change.action) {
    case "create":
      return `${addr} ${c.bold("will be created")}`;
    case "update":
      return `${addr} ${c.bold("will be updated in-place")}`;
    case "replace":
      return `${addr} ${c.bold(c.red("must"))} ${c.bold("be replaced")}`;
    case "delete":
      return `${addr} ${c.bold("will be")} ${c.bold(c.red("destroyed"))}`;
    case "import":
      return `${addr} ${
        c.bold("will be imported")
      } (adopted: it matches and will be marked as owned)`;
  }
}

/** One attribute line before alignment. */
interface Line {
  mark: "+" | "-" | "~" | " ";
  name: string;
  value: string;
  forces: boolean;
}

function renderChange(change: Change, c: Colors): string[] {
  const out = [header(change, c)];
  const reason = change.reason.trim().replace(/^because\s+/i, "");
  if (reason !== "") out.push(`  # (because ${escapeUnsafe(reason)})`);
  if (change.cascadeOf !== undefined) {
    out.push(`  # (deleted with ${escapeUnsafe(change.cascadeOf)}: no operation of its own)`);
  }

  const { lines, hidden } = attributeLines(change);
  const opening = `${symbol(change.action, c)} ${escapeUnsafe(change.type)} ${
    quote(displayName(change))
  }`;
  if (lines.length === 0 && hidden === 0) {
    out.push(`${opening} {}`);
    return out;
  }
  out.push(`${opening} {`);
  const width = Math.max(0, ...lines.map((l) => l.name.length));
  for (const l of lines) {
    const forces = l.forces ? " " + c.red("# forces replacement") : "";
    out.push(`      ${mark(l.mark, c)} ${l.name.padEnd(width)} = ${l.value}${forces}`);
  }
  if (hidden > 0) {
    out.push(c.dim(`        # (${hidden} unchanged attribute${hidden === 1 ? "" : "s"} hidden)`));
  }
  out.push("    }");
  return out;
}

function mark(m: Line["mark"], c: Colors): string {
  switch (m) {
    case "+":
      return c.green("+");
    case "-":
      return c.red("-");
    case "~":
      return c.yellow("~");
    case " ":
      return " ";
  }
}

function attributeLines(change: Change): { lines: Line[]; hidden: number } {
  const before: Attributes = change.before ?? {};
  const after: Attributes = change.after ?? {};
  const forcing = new Set(change.replacePaths);
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const lines: Line[] = [];
  let hidden = 0;
  for (const name of names) {
    const b = before[name] ?? null;
    const a = after[name] ?? null;
    const forces = forcing.has(name);
    if (b === null && a === null) continue;
    if (b === null) {
      lines.push({ mark: "+", name: escapeUnsafe(name), value: formatValue(a), forces });
    } else if (a === null) {
      lines.push({
        mark: "-",
        name: escapeUnsafe(name),
        value: `${formatValue(b)} -> null`,
        forces,
      });
    } else if (a !== b) {
      lines.push({
        mark: "~",
        name: escapeUnsafe(name),
        value: `${formatValue(b)} -> ${formatValue(a)}`,
        forces,
      });
    } else if (change.action === "import") {
      lines.push({ mark: " ", name: escapeUnsafe(name), value: formatValue(a), forces });
    } else {
      hidden++;
    }
  }
  return { lines, hidden };
}

/**
 * Strings quoted as JSON (with every character a terminal would interpret
 * escaped, see `quote`), numbers and booleans bare, `null`.
 */
export function formatValue(value: AttributeValue): string {
  return typeof value === "string" ? quote(value) : String(value);
}

/**
 * The object's name within its type and namespace: `ipvl1` for
 * `link.ns1.ipvl1`, `10.0.0.2/24` for `address.ns1.ipvl1["10.0.0.2/24"]`.
 */
function displayName(change: Change): string {
  const key = /\["((?:[^"\\]|\\.)*)"\]$/.exec(change.address);
  if (key?.[1] !== undefined) {
    try {
      return JSON.parse(`"${key[1]}"`) as string;
    } catch {
      return key[1];
    }
  }
  const prefixes = change.type === "namespace"
    ? ["namespace."]
    : [`${change.type}.${change.namespace}.`, `${change.type}.`];
  for (const prefix of prefixes) {
    if (change.address.startsWith(prefix)) return change.address.slice(prefix.length);
  }
  return change.address;
}
