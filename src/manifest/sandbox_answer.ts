/**
 * Reads the sandboxed evaluator's answer out of its stdout and checks its
 * whole shape, trusting nothing the child sends: the child runs the
 * manifest's code, in the same realm, so its answer is only as good as this
 * check. The value is re-checked as data here (depth, finite numbers, no own
 * `__proto__` key) whether or not the child copied it, and then validated as
 * a topology like any other input.
 *
 * @module
 */
import type { ManifestIssue } from "../errors.ts";
import { MAX_DEPTH } from "./plain_data.ts";
import { MAX_ISSUES, MAX_TEXT, type SandboxReply } from "./sandbox_reply.ts";

/** An answer that is not one the evaluator gives: `why` says what is wrong with it. */
export interface MalformedAnswer {
  kind: "malformed";
  why: string;
}

/** Keys of each kind of answer, and whether each must be there. */
const SHAPES: Readonly<Record<SandboxReply["kind"], Readonly<Record<string, boolean>>>> = {
  value: { kind: true, value: true },
  issues: { kind: true, issues: true },
  error: { kind: true, name: true, message: true },
};
const ISSUE_KEYS: Readonly<Record<string, boolean>> = { path: true, message: true, hint: false };

/**
 * The answer in `stdout`: the one line that starts with `nonce` and a space.
 * `undefined` when there is no such line (the child ended without answering).
 *
 * @example
 * ```ts
 * import { parseAnswer } from "./sandbox_answer.ts";
 * const stdout = new TextEncoder().encode('\nN {"kind":"value","value":{"name":"x"}}\n');
 * parseAnswer(stdout, "N"); // { kind: "value", value: { name: "x" } }
 * parseAnswer(new TextEncoder().encode('N {"kind":"value"}\n'), "N"); // { kind: "malformed", why: '"value" is missing' }
 * ```
 */
export function parseAnswer(
  stdout: Uint8Array,
  nonce: string,
): SandboxReply | MalformedAnswer | undefined {
  const prefix = nonce + " ";
  const lines = new TextDecoder().decode(stdout).split("\n");
  const answers = lines.flatMap((line, i) => line.startsWith(prefix) ? [i] : []);
  if (answers.length === 0) return undefined;
  if (answers.length > 1) return malformed(`it holds ${answers.length} answer lines, not one`);
  const at = answers[0]!;
  // The last piece of a split has no newline after it: the child did not finish the line.
  if (at === lines.length - 1) return malformed("the answer line is not finished");
  let answer: unknown;
  try {
    answer = JSON.parse(lines[at]!.slice(prefix.length));
  } catch (error) {
    return malformed(`it is not JSON (${clip(error instanceof Error ? error.message : "", 100)})`);
  }
  const problem = replyProblem(answer);
  if (problem !== undefined) return malformed(problem);
  const reply = answer as SandboxReply;
  if (reply.kind !== "value") return reply;
  const found = checkValue(reply.value);
  if (typeof found === "string") return malformed(found);
  return found.length > 0 ? { kind: "issues", issues: found } : reply;
}

/** What is wrong with the shape of `answer`, or `undefined`. */
function replyProblem(answer: unknown): string | undefined {
  if (!isObject(answer)) return "it is not a JSON object";
  if (!Object.hasOwn(answer, "kind")) return '"kind" is missing';
  const kind = answer.kind;
  if (typeof kind !== "string" || !Object.hasOwn(SHAPES, kind)) {
    return `"kind" is ${show(kind)}, not "value", "issues" or "error"`;
  }
  const keysProblem = keyProblem(answer, SHAPES[kind as SandboxReply["kind"]], "");
  if (keysProblem) return keysProblem;
  switch (kind) {
    case "error":
      return textProblem(answer.name, '"name"') ?? textProblem(answer.message, '"message"');
    case "issues":
      return issuesProblem(answer.issues);
  }
  return undefined;
}

function issuesProblem(issues: unknown): string | undefined {
  if (!Array.isArray(issues) || issues.length === 0 || issues.length > MAX_ISSUES) {
    return `"issues" is not a list of 1 to ${MAX_ISSUES} issues`;
  }
  for (const [i, issue] of issues.entries()) {
    const at = `issues[${i}]`;
    if (!isObject(issue)) return `"${at}" is not an object`;
    const problem = keyProblem(issue, ISSUE_KEYS, at) ??
      textProblem(issue.path, `"${at}.path"`) ??
      textProblem(issue.message, `"${at}.message"`) ??
      (Object.hasOwn(issue, "hint") ? textProblem(issue.hint, `"${at}.hint"`) : undefined);
    if (problem) return problem;
  }
  return undefined;
}

function keyProblem(
  object: Record<string, unknown>,
  shape: Readonly<Record<string, boolean>>,
  at: string,
): string | undefined {
  for (const key of Object.keys(object)) {
    if (!Object.hasOwn(shape, key)) {
      return `${at ? `"${at}" has` : "it has"} an unexpected key ${show(key)}`;
    }
  }
  for (const [key, required] of Object.entries(shape)) {
    if (required && !Object.hasOwn(object, key)) return `"${at ? `${at}.` : ""}${key}" is missing`;
  }
  return undefined;
}

function textProblem(value: unknown, name: string): string | undefined {
  if (typeof value !== "string") return `${name} is not a string`;
  if (value.length > MAX_TEXT) return `${name} is longer than ${MAX_TEXT} characters`;
  return undefined;
}

/**
 * Checks a value as data: a problem no honest evaluator sends (too deep, a
 * number JSON could not hold) as a string, else the issues the value has
 * (an own `__proto__` key, which would vanish in any ordinary copy).
 */
function checkValue(value: unknown): string | ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const visit = (v: unknown, path: string, depth: number): string | undefined => {
    if (typeof v === "number" && !Number.isFinite(v)) {
      return `"${shownPath(path)}" is a number out of range`;
    }
    if (typeof v !== "object" || v === null) return undefined;
    if (depth >= MAX_DEPTH) return `"${shownPath(path)}" is nested deeper than ${MAX_DEPTH} levels`;
    const isArray = Array.isArray(v);
    for (const [key, child] of Object.entries(v)) {
      const at = isArray ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
      if (key === "__proto__" && !isArray) {
        issues.push({
          path: clip(at),
          message: 'Unknown key "__proto__"',
          hint: 'remove "__proto__"',
        });
      }
      const problem = visit(child, at, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  return visit(value, "", 0) ?? issues.slice(0, MAX_ISSUES);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(why: string): MalformedAnswer {
  return { kind: "malformed", why };
}

function shownPath(path: string): string {
  return clip(path === "" || path.startsWith("[") ? `value${path}` : `value.${path}`, 200);
}

function show(value: unknown): string {
  return clip(JSON.stringify(value) ?? String(value), 60);
}

function clip(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
