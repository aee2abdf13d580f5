/**
 * Saved plans (`netform plan --out FILE`): versioned JSON, validated in full on
 * the way back in, because `apply` runs the steps exactly as read.
 *
 * Versioning follows {@linkcode PLAN_FORMAT_VERSION}: a minor bump is additive,
 * a major bump breaking. A reader accepts the version it was built for and every
 * earlier minor of the same major ({@linkcode READABLE_PLAN_FORMATS}), and is
 * strict within them: unknown keys anywhere are an error, not ignored, since a
 * newer netform could have meant something by them that this one would silently
 * skip while changing the host.
 *
 * @module
 */
import { z } from "zod";
import { UsageError } from "../errors.ts";
import { describeJsonError } from "../read_json_file.ts";
import { DuplicateKeyError, parseStrictJson } from "../strict_json.ts";
import {
  IpvlanPortSchema,
  LinkRefSchema,
  MACVLAN_MODES,
  RouteSchema,
  TopologySchema,
} from "../model/state.ts";
import type { Operation } from "../model/operations.ts";
import {
  type Change,
  type Plan,
  PLAN_FORMAT_VERSION,
  READABLE_PLAN_FORMATS,
  summarize,
} from "./plan.ts";
import { planIssues } from "./plan_checks.ts";

const name = z.string().min(1);
const mtu = z.number().int().min(68).max(65535);
const protocol = z.number().int().min(0).max(255);

/** `link.create`'s attributes of the other end of a veth pair. */
const PeerSpecSchema = z.strictObject({
  namespace: name,
  name: name,
  up: z.boolean(),
  mtu: mtu.exactOptional(),
  alias: z.string().exactOptional(),
  master: name.exactOptional(),
});

export const LinkSpecSchema = z.strictObject({
  namespace: name,
  name: name,
  kind: z.enum(["dummy", "bridge", "ipvlan", "macvlan", "veth"]),
  up: z.boolean(),
  mtu: mtu.exactOptional(),
  alias: z.string().exactOptional(),
  master: name.exactOptional(),
  parent: LinkRefSchema.exactOptional(),
  ipvlan: IpvlanPortSchema.exactOptional(),
  macvlanMode: z.enum(MACVLAN_MODES).exactOptional(),
  peer: PeerSpecSchema.exactOptional(),
});

export const LinkChangesSchema = z.strictObject({
  up: z.boolean().exactOptional(),
  mtu: mtu.exactOptional(),
  alias: z.string().nullable().exactOptional(),
  master: name.nullable().exactOptional(),
  ipvlan: IpvlanPortSchema.exactOptional(),
  macvlanMode: z.enum(MACVLAN_MODES).exactOptional(),
});

/** Every {@linkcode Operation} variant, strict. */
export const OperationSchema = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("namespace.create"), namespace: name }),
  z.strictObject({ op: z.literal("namespace.delete"), namespace: name }),
  z.strictObject({ op: z.literal("link.create"), link: LinkSpecSchema }),
  z.strictObject({
    op: z.literal("link.update"),
    namespace: name,
    name: name,
    changes: LinkChangesSchema,
  }),
  z.strictObject({ op: z.literal("link.delete"), namespace: name, name: name }),
  z.strictObject({
    op: z.literal("address.add"),
    namespace: name,
    link: name,
    cidr: z.string(),
    protocol,
    replace: z.boolean().exactOptional(),
  }),
  z.strictObject({
    op: z.literal("address.delete"),
    namespace: name,
    link: name,
    cidr: z.string(),
  }),
  z.strictObject({
    op: z.literal("route.add"),
    namespace: name,
    route: RouteSchema,
    replace: z.boolean().exactOptional(),
  }),
  z.strictObject({ op: z.literal("route.delete"), namespace: name, route: RouteSchema }),
]);

const AttributesSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null()]),
);

export const ChangeSchema = z.strictObject({
  address: z.string().min(1),
  type: z.enum(["namespace", "link", "address", "route"]),
  namespace: name,
  action: z.enum(["create", "update", "replace", "delete", "import"]),
  before: AttributesSchema.nullable(),
  after: AttributesSchema.nullable(),
  replacePaths: z.array(z.string()),
  reason: z.string(),
  cascadeOf: z.string().exactOptional(),
});

export const StepSchema = z.strictObject({ change: z.string(), operation: OperationSchema });

const count = z.number().int().min(0);
export const PlanSummarySchema = z.strictObject({
  import: count,
  add: count,
  change: count,
  destroy: count,
});

export const IrreversibleSchema = z.strictObject({
  step: z.number().int().min(1),
  change: z.string(),
  reason: z.string(),
});

export const ForeignSideEffectSchema = z.strictObject({
  object: z.string().min(1),
  effect: z.enum(["deleted", "changed", "moved to the root namespace"]),
  step: z.number().int().min(1),
  change: z.string(),
});

export const PlanBasisSchema = z.strictObject({
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  objects: z.record(z.string(), z.string().regex(/^[0-9a-f]{16}$/)),
});

/**
 * A whole plan. Beyond shapes it checks that every step belongs to a change of
 * the plan and that the summary counts the changes.
 */
export const PlanSchema = z.strictObject({
  formatVersion: z.enum(READABLE_PLAN_FORMATS),
  kind: z.enum(["apply", "destroy"]),
  topology: z.string(),
  changes: z.array(ChangeSchema),
  steps: z.array(StepSchema),
  summary: PlanSummarySchema,
  desired: TopologySchema,
  irreversible: z.array(IrreversibleSchema).exactOptional(),
  foreign: z.array(ForeignSideEffectSchema).exactOptional(),
  basis: PlanBasisSchema.exactOptional(),
}).superRefine((plan, ctx) => {
  const addresses = new Set(plan.changes.map((c) => c.address));
  plan.steps.forEach((step, i) => {
    if (!addresses.has(step.change)) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", i, "change"],
        message: `no change has the address ${JSON.stringify(step.change)}`,
      });
    }
  });
  plan.irreversible?.forEach((entry, i) => {
    if (entry.step > plan.steps.length) {
      ctx.addIssue({
        code: "custom",
        path: ["irreversible", i, "step"],
        message: `is ${entry.step} but the plan has ${plan.steps.length} step(s)`,
      });
    }
  });
  plan.foreign?.forEach((entry, i) => {
    const step = plan.steps[entry.step - 1];
    if (step === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["foreign", i, "step"],
        message: `is ${entry.step} but the plan has ${plan.steps.length} step(s)`,
      });
    } else if (step.change !== entry.change) {
      ctx.addIssue({
        code: "custom",
        path: ["foreign", i, "change"],
        message: `is ${JSON.stringify(entry.change)} but step ${entry.step} belongs to ${
          JSON.stringify(step.change)
        }`,
      });
    }
  });
  const expected = summarize(plan.changes);
  for (const key of ["import", "add", "change", "destroy"] as const) {
    if (plan.summary[key] !== expected[key]) {
      ctx.addIssue({
        code: "custom",
        path: ["summary", key],
        message: `is ${plan.summary[key]} but the changes count ${expected[key]}`,
      });
    }
  }
});

// The schemas and the hand-written types must describe the same values.
type Assignable<A, B> = [A] extends [B] ? true : false;
const _operationOut: Assignable<z.output<typeof OperationSchema>, Operation> = true;
const _operationIn: Assignable<Operation, z.input<typeof OperationSchema>> = true;
const _planOut: Assignable<z.output<typeof PlanSchema>, Plan> = true;
const _planIn: Assignable<Plan, z.input<typeof PlanSchema>> = true;
void [_operationOut, _operationIn, _planOut, _planIn];

const OPERATION_NAMES = OperationSchema.options.map((o) => o.shape.op.value);

/** Issues listed in a decode error before "and N more". */
const MAX_ISSUES = 3;

/** Largest plan read: far above any real plan (a 10 000-link plan is about 20 MiB). */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;

/**
 * A plan as versioned JSON: 2-space indent, a fixed key order (top level and
 * changes in declaration order, `op` first in an operation, everything else
 * alphabetical), and a trailing newline. The same plan always encodes to the
 * same bytes.
 */
export function encodePlan(plan: Plan): string {
  const canonical = {
    formatVersion: plan.formatVersion,
    kind: plan.kind,
    topology: plan.topology,
    summary: {
      import: plan.summary.import,
      add: plan.summary.add,
      change: plan.summary.change,
      destroy: plan.summary.destroy,
    },
    changes: plan.changes.map(canonicalChange),
    steps: plan.steps.map((s) => ({ change: s.change, operation: sortKeys(s.operation, ["op"]) })),
    desired: sortKeys(plan.desired),
    ...(plan.irreversible !== undefined ? { irreversible: plan.irreversible } : {}),
    ...(plan.foreign !== undefined ? { foreign: plan.foreign } : {}),
    ...(plan.basis !== undefined ? { basis: sortKeys(plan.basis) } : {}),
  };
  return JSON.stringify(canonical, null, 2) + "\n";
}

function canonicalChange(c: Change): Record<string, unknown> {
  return {
    address: c.address,
    type: c.type,
    namespace: c.namespace,
    action: c.action,
    reason: c.reason,
    ...(c.cascadeOf !== undefined ? { cascadeOf: c.cascadeOf } : {}),
    replacePaths: c.replacePaths,
    before: sortKeys(c.before),
    after: sortKeys(c.after),
  };
}

/** A deep copy with object keys in order: `first` (where present), then alphabetical. */
function sortKeys(value: unknown, first: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined);
  const ordered = [
    ...first.filter((k) => keys.includes(k)),
    ...keys.filter((k) => !first.includes(k)).sort(),
  ];
  return Object.fromEntries(ordered.map((k) => [k, sortKeys(record[k])]));
}

/**
 * Reads a plan written by {@linkcode encodePlan}. `source` names where the text
 * came from (a file path) for messages. Throws {@linkcode UsageError} when the
 * text is not JSON, is another format version, or does not match the schema;
 * the message gives the JSON path of the first problems, e.g.
 * `steps[3].operation.op`. A key given twice in one object is refused, with
 * the path of the second: `JSON.parse` would silently keep the last.
 */
export function decodePlan(text: string, source: string): Plan {
  const fail = (detail: string): never => {
    throw new UsageError(
      `Cannot read plan ${JSON.stringify(source)}: ${detail}; ` +
        `re-run \`netform plan --out\` to save a new plan`,
    );
  };

  if (text.length > MAX_PLAN_BYTES) {
    return fail(`(top level): the file is larger than ${MAX_PLAN_BYTES / 1024 / 1024} MiB`);
  }
  let data: unknown;
  try {
    data = parseStrictJson(text);
  } catch (e) {
    if (e instanceof DuplicateKeyError) return fail(describeJsonError(e, formatPath));
    return fail(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return fail(`expected a JSON object, got ${describe(data)}`);
  }

  const version = (data as Record<string, unknown>).formatVersion;
  if (!(READABLE_PLAN_FORMATS as readonly unknown[]).includes(version)) {
    if (version === undefined) return fail(`formatVersion: is missing (not a netform plan?)`);
    const supported = `this netform reads plan formats ${READABLE_PLAN_FORMATS.join(", ")}`;
    const m = typeof version === "string" ? /^(\d+)\.(\d+)$/.exec(version) : null;
    if (m === null) {
      return fail(`formatVersion: ${JSON.stringify(version)} is not a version; ${supported}`);
    }
    const [major, minor] = PLAN_FORMAT_VERSION.split(".").map(Number);
    // A later minor of this major could be read by a newer netform; another major is another format.
    const newer = Number(m[1]) === major && Number(m[2]) > minor!;
    return fail(`plan format ${version} is ${newer ? "newer" : "unsupported"}; ${supported}`);
  }

  const result = PlanSchema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues;
    const shown = issues.slice(0, MAX_ISSUES).map((issue) => describeIssue(issue, data));
    const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : "";
    return fail(shown.join("; ") + more);
  }
  const inconsistent = planIssues(result.data);
  if (inconsistent.length > 0) {
    const shown = inconsistent.slice(0, MAX_ISSUES).map((i) =>
      `${formatPath(i.path)}: ${i.message}`
    );
    const more = inconsistent.length > MAX_ISSUES
      ? `; and ${inconsistent.length - MAX_ISSUES} more`
      : "";
    return fail(shown.join("; ") + more);
  }
  return result.data;
}

/** `steps[3].operation.op`; keys that are not identifiers as `["key"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) {
      out += out === "" ? key : `.${key}`;
    } else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === "" ? "(top level)" : out;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const at = formatPath(issue.path);
  const value = valueAt(data, issue.path);
  switch (issue.code) {
    case "invalid_type":
      return value === undefined
        ? `${at}: is missing (expected ${issue.expected})`
        : `${at}: expected ${issue.expected}, got ${describe(value)}`;
    case "unrecognized_keys":
      return `${at}: unknown key${issue.keys.length === 1 ? "" : "s"} ${
        issue.keys.map((k) => JSON.stringify(k)).join(", ")
      }`;
    case "invalid_value":
      return `${at}: ${describe(value)} is not one of ${
        issue.values.map((v) => JSON.stringify(v)).join(", ")
      }`;
    case "invalid_union": {
      if ("discriminator" in issue && issue.discriminator === "op") {
        return value === undefined
          ? `${at}: is missing (expected an operation name)`
          : `${at}: unknown operation ${JSON.stringify(value)} (expected one of ${
            OPERATION_NAMES.join(", ")
          })`;
      }
      return `${at}: ${issue.message}`;
    }
    default:
      return `${at}: ${issue.message}`;
  }
}
