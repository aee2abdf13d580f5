/**
 * What a plan would delete or change that its topology does not own: the kernel's cascades
 * (a namespace takes everything in it, a link its addresses and the routes through it, a
 * master its slaves, a veth end its peer, a link going down its routes and IPv6 addresses, a
 * deleted primary its secondaries, a deleted bridge releases its ports).
 *
 * Found by running the steps on the model of the host (the simulated kernel, whose rules are
 * checked against the real one), not by a list of cascades of our own: every rule the model
 * knows is covered, for any plan, including one read from a file. An object counts when
 * {@linkcode isForeign} says so: neither owned nor declared by the topology, and not the
 * kernel's own.
 *
 * @module
 */
import { kernelFromHostState } from "../drivers/sim/from_state.ts";
import type { SimKernel } from "../drivers/sim/kernel.ts";
import { observeState } from "../drivers/sim/observe.ts";
import { ROOT_NAMESPACE } from "../model/names.ts";
import type { HostState, Topology } from "../model/state.ts";
import { linkAddress, namespaceAddress } from "../plan/address.ts";
import { isForeign } from "../plan/ownership.ts";
import type { ForeignSideEffect, Step } from "../plan/plan.ts";
import { stateEntries, type StateObject } from "../plan/state_objects.ts";
import { objectText } from "./objects.ts";
import type { UndoForecast } from "./undo.ts";

/**
 * The foreign objects the steps delete or change, each with the first step that does it,
 * in step order. `observed` is the host (or the part of it the topology sees) before the
 * steps. Steps past one the model refuses are not looked at: the apply stops there.
 *
 * @example
 * ```ts ignore
 * foreignSideEffects(plan.steps, observed, plan.desired);
 * // [{ object: 'address.ns1.v0["10.9.0.1/24"]', effect: "deleted", step: 1, change: "namespace.ns1" }]
 * ```
 */
export function foreignSideEffects(
  steps: readonly Step[],
  observed: HostState,
  desired: Topology,
  options: ForeignSideEffectsOptions = {},
): ForeignSideEffect[] {
  const forecast = options.forecast;
  const modelled = forecast?.states?.[0] !== undefined && forecast.end !== undefined;
  const kernel = modelled ? undefined : kernelFromHostState(observed);
  // Compared model to model, so what the model cannot represent never counts as a change.
  const start = modelled ? forecast.states![0]! : observeState(kernel!.view);
  const watched = foreignObjects(start, desired);
  if (watched.size === 0) return [];
  // The end state first (the forecast's, or one run to the end): nearly always nothing foreign
  // changes, and it tells. Only then is each step looked at, to say which one does it.
  const ran = modelled ? forecast.entries.length : runSteps(kernel!, steps);
  const end = textsOf(modelled ? forecast.end! : observeState(kernel!.view));
  if ([...watched].every(([key, { text }]) => end.get(key) === text)) return [];

  const again = kernelFromHostState(observed);
  const found: ForeignSideEffect[] = [];
  for (let i = 0; i < ran && watched.size > 0; i++) {
    runSteps(again, [steps[i]!]);
    const now = textsOf(observeState(again.view));
    for (const [key, { text, object }] of watched) {
      const after = now.get(key);
      if (after === text) continue;
      watched.delete(key);
      const effect = after !== undefined
        ? "changed"
        : movedToRoot(object, now)
        ? "moved to the root namespace"
        : "deleted";
      found.push({ object: key, effect, step: i + 1, change: steps[i]!.change });
    }
  }
  return fold(found, start);
}

/** Runs steps on the model; returns how many it accepted before one it refused. */
function runSteps(kernel: SimKernel, steps: readonly Step[]): number {
  for (const [i, step] of steps.entries()) {
    try {
      kernel.execute(step.operation);
    } catch {
      return i;
    }
  }
  return steps.length;
}

/** Options of {@linkcode foreignSideEffects}. */
export interface ForeignSideEffectsOptions {
  /**
   * The undo forecast of the same steps from the same state: its model already ran them, so
   * its end state is used instead of running them again. Default: run them.
   */
  forecast?: UndoForecast;
}

interface Watched {
  text: string;
  object: StateObject;
}

/** The foreign objects of `state`, keyed as {@linkcode stateEntries} keys them. */
function foreignObjects(state: HostState, desired: Topology): Map<string, Watched> {
  const out = new Map<string, Watched>();
  for (const [key, object] of stateEntries(state)) {
    if (isForeign(state, object, desired)) out.set(key, { text: textOf(state, object), object });
  }
  return out;
}

function textsOf(state: HostState): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, object] of stateEntries(state)) out.set(key, textOf(state, object));
  return out;
}

/**
 * An object's attributes as the kernel reports them: an ipvlan slave shows its port's mode and
 * flags (they live on the master), so a port change counts as a change of every slave.
 */
function textOf(state: HostState, object: StateObject): string {
  if (object.type !== "link") return objectText(object);
  // A master's port is its slaves' state (it goes with the last of them), and a bridge's MTU
  // follows its ports unless set by hand (br_mtu_auto_adjust): the kernel's bookkeeping of
  // what is attached, not attributes of the link itself.
  const { ipvlan: _, ...link } = object.link;
  if (link.kind === "bridge") delete link.mtu;
  const text = objectText({ ...object, link });
  if (link.kind !== "ipvlan") return text;
  const { namespace, name } = link.parent;
  const port = state.namespaces[namespace]?.links[name]?.ipvlan;
  return port ? `${text} port ${port.mode} ${port.flags}` : text;
}

/** A physical device the kernel hands back to the root namespace when its namespace goes. */
function movedToRoot(object: StateObject, now: Map<string, string>): boolean {
  return object.type === "link" && object.link.kind === "device" &&
    object.namespace !== ROOT_NAMESPACE && now.has(linkAddress(ROOT_NAMESPACE, object.name));
}

/**
 * Leaves out what goes with a foreign object listed already: the links of a foreign namespace,
 * the addresses of a foreign link and the routes through it.
 */
function fold(found: ForeignSideEffect[], start: HostState): ForeignSideEffect[] {
  const listed = new Set(found.map((f) => f.object));
  const entries = new Map(stateEntries(start));
  return found.filter((f) => {
    const object = entries.get(f.object);
    if (object === undefined || object.type === "namespace") return true;
    if (listed.has(namespaceAddress(object.namespace))) return false;
    if (object.type === "address") return !listed.has(linkAddress(object.namespace, object.name));
    if (object.type === "route" && object.route.dev !== undefined) {
      return !listed.has(linkAddress(object.namespace, object.route.dev));
    }
    return true;
  });
}

/** One line per object: `address.ns1.v0["10.9.0.1/24"] (deleted by step 2, link.ns1.v0)`. */
export function describeSideEffects(effects: readonly ForeignSideEffect[], limit = 12): string {
  const parts = effects.map((e) => `${e.object} (${e.effect} by step ${e.step}, ${e.change})`);
  const more = parts.length > limit ? `; and ${parts.length - limit} more` : "";
  return parts.slice(0, limit).join("; ") + more;
}
