/**
 * The zod schema of a manifest's default export (the *input* shape,
 * {@linkcode TopologyInput}), before defaults and cross-references. Objects are
 * strict so a misspelled key is an error rather than silently ignored.
 *
 * @module
 */
import { z } from "zod";
import {
  IPVLAN_FLAGS,
  IPVLAN_MODES,
  MACVLAN_MODES,
  ROUTE_SCOPES,
  ROUTE_TYPES,
} from "../model/state.ts";
import type { TopologyInput } from "./topology.ts";

/** Largest 32-bit unsigned value: the limit of route tables and metrics. */
const U32_MAX = 0xffffffff;
const TABLE_ERROR = `table must be "main", "local", "default" or a number from 1 to ${U32_MAX}`;

const linkCommon = {
  up: z.boolean().optional(),
  mtu: z.number().int({ error: "MTU must be a whole number" })
    .min(68, { error: "MTU must be between 68 and 65535" })
    .max(65535, { error: "MTU must be between 68 and 65535" })
    .optional(),
  master: z.string().optional(),
  addresses: z.array(z.string()).readonly().optional(),
  ipvlan: z.strictObject({
    mode: z.enum(IPVLAN_MODES).optional(),
    flags: z.enum(IPVLAN_FLAGS).optional(),
  }).optional(),
};

/** Link kinds a manifest may declare (the model's `device` is observed only). */
export const INPUT_LINK_KINDS = [
  "existing",
  "loopback",
  "dummy",
  "bridge",
  "ipvlan",
  "macvlan",
  "veth",
] as const;

const LinkInputSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("existing"), ...linkCommon }),
  z.strictObject({ kind: z.literal("loopback"), ...linkCommon }),
  z.strictObject({ kind: z.literal("dummy"), ...linkCommon }),
  z.strictObject({ kind: z.literal("bridge"), ...linkCommon }),
  z.strictObject({ kind: z.literal("ipvlan"), ...linkCommon, parent: z.string() }),
  z.strictObject({
    kind: z.literal("macvlan"),
    ...linkCommon,
    parent: z.string(),
    mode: z.enum(MACVLAN_MODES).optional(),
  }),
  z.strictObject({ kind: z.literal("veth"), ...linkCommon, peer: z.string() }),
]);

const RouteInputSchema = z.strictObject({
  to: z.string(),
  via: z.string().optional(),
  dev: z.string().optional(),
  scope: z.enum(ROUTE_SCOPES).optional(),
  metric: z.number().int({ error: "metric must be a whole number" })
    .min(0, { error: `metric must be between 0 and ${U32_MAX}` })
    .max(U32_MAX, { error: `metric must be between 0 and ${U32_MAX}` })
    .optional(),
  table: z.union([
    z.enum(["main", "local", "default"]),
    z.number().int({ error: TABLE_ERROR }).min(1, { error: TABLE_ERROR })
      .max(U32_MAX, { error: TABLE_ERROR }),
  ], { error: TABLE_ERROR }).optional(),
  src: z.string().optional(),
  type: z.enum(ROUTE_TYPES).optional(),
});

const NamespaceInputSchema = z.strictObject({
  links: z.record(z.string(), LinkInputSchema).optional(),
  routes: z.array(RouteInputSchema).readonly().optional(),
});

/** Schema of a manifest's default export. */
export const TopologyInputSchema = z.strictObject({
  name: z.string(),
  namespaces: z.record(z.string(), NamespaceInputSchema),
});

// Compile-time guard: everything the typed `topology()` helper accepts must
// pass the schema, so the two cannot drift apart unnoticed.
type Accepts<T extends z.input<typeof TopologyInputSchema>> = T;
export type _TopologyInputFitsSchema = Accepts<TopologyInput>;
