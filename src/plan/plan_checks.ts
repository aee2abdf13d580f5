/**
 * Consistency checks of a saved plan that passed its schema. `apply plan.json`
 * runs the steps exactly as read, so a plan edited by hand (or damaged) must
 * not run a step other than the one its change shows, nor verify against a
 * desired state that no kernel could be in.
 *
 * @module
 */
import type { Operation } from "../model/operations.ts";
import type { Topology } from "../model/state.ts";
import { addressAddress, namespaceAddress, routeAddress } from "./address.ts";
import type { Plan } from "./plan.ts";

/** One inconsistency: where it is (a JSON path as keys) and what is wrong. */
export interface PlanIssue {
  path: (string | number)[];
  message: string;
}

/** Every inconsistency in `plan`, in document order; empty when there is none. */
export function planIssues(plan: Plan): PlanIssue[] {
  return [...changeIssues(plan), ...stepIssues(plan), ...desiredIssues(plan.desired)];
}

const TYPE_OF_ADDRESS = /^(namespace|link|address|route)\.([^.[]+)/;

function changeIssues(plan: Plan): PlanIssue[] {
  const issues: PlanIssue[] = [];
  // Two changes may share an address: the planner files an ipvlan port's new mode as a
  // second change of a master that also changes otherwise.
  const addresses = new Set(plan.changes.map((c) => c.address));
  const withSteps = new Set(plan.steps.map((s) => s.change));
  plan.changes.forEach((change, i) => {
    const at = (key: string) => ["changes", i, key];
    const match = TYPE_OF_ADDRESS.exec(change.address);
    if (!match) {
      issues.push({
        path: at("address"),
        message: `${JSON.stringify(change.address)} is not a resource address`,
      });
    } else {
      if (match[1] !== change.type) {
        issues.push({
          path: at("type"),
          message: `is "${change.type}" but the address ${JSON.stringify(change.address)} is of a ${
            match[1]
          }`,
        });
      }
      if (match[2] !== change.namespace) {
        issues.push({
          path: at("namespace"),
          message: `is "${change.namespace}" but the address ${
            JSON.stringify(change.address)
          } is in namespace "${match[2]}"`,
        });
      }
    }
    const wantBefore = change.action !== "create";
    const wantAfter = change.action !== "delete";
    if ((change.before !== null) !== wantBefore) {
      issues.push({
        path: at("before"),
        message: wantBefore
          ? `is null, but a change of action "${change.action}" has a before state`
          : `is set, but a "create" has no before state`,
      });
    }
    if ((change.after !== null) !== wantAfter) {
      issues.push({
        path: at("after"),
        message: wantAfter
          ? `is null, but a change of action "${change.action}" has an after state`
          : `is set, but a "delete" has no after state`,
      });
    }
    if (change.cascadeOf !== undefined) {
      if (!addresses.has(change.cascadeOf) || change.cascadeOf === change.address) {
        issues.push({
          path: at("cascadeOf"),
          message: `names ${
            JSON.stringify(change.cascadeOf)
          }, which is no other change of the plan`,
        });
      }
      if (withSteps.has(change.address)) {
        issues.push({
          path: at("cascadeOf"),
          message: `is set, so the kernel removes this object with ${
            JSON.stringify(change.cascadeOf)
          }, but the plan also has steps for it`,
        });
      }
    }
  });
  return issues;
}

/**
 * The address of the object an operation acts on, for the operations that
 * always belong to the change of that object. A link operation may belong to
 * another link's change (the planner changes an ipvlan port's mode through a
 * slave, and creates both ends of a veth with one step), so only its type is
 * checked.
 */
function operationAddress(operation: Operation): string | undefined {
  switch (operation.op) {
    case "namespace.create":
    case "namespace.delete":
      return namespaceAddress(operation.namespace);
    case "address.add":
    case "address.delete":
      return addressAddress(operation.namespace, operation.link, operation.cidr);
    case "route.add":
    case "route.delete":
      return routeAddress(operation.namespace, operation.route);
    default:
      return undefined;
  }
}

function stepIssues(plan: Plan): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const types = new Map(plan.changes.map((c) => [c.address, c.type]));
  plan.steps.forEach((step, i) => {
    const op = step.operation;
    const target = operationAddress(op);
    const type = types.get(step.change);
    if (target !== undefined && target !== step.change) {
      issues.push({
        path: ["steps", i, "operation"],
        message: `acts on ${JSON.stringify(target)}, but the step belongs to change ${
          JSON.stringify(step.change)
        }`,
      });
    } else if (target === undefined && type !== undefined && type !== "link") {
      issues.push({
        path: ["steps", i, "operation", "op"],
        message: `"${op.op}" acts on a link, but the step belongs to change ${
          JSON.stringify(step.change)
        } (of type ${type})`,
      });
    }
    if (plan.kind === "apply" && op.op === "address.add") {
      const link = plan.desired.namespaces[op.namespace]?.links[op.link];
      if (!link) {
        issues.push({
          path: ["steps", i, "operation", "link"],
          message:
            `adds an address to "${op.namespace}/${op.link}", which the desired state does not have`,
        });
      }
    }
  });
  return issues;
}

function desiredIssues(desired: Topology): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const linkOf = (namespace: string, name: string) => desired.namespaces[namespace]?.links[name];
  for (const [nsName, ns] of Object.entries(desired.namespaces)) {
    for (const [name, link] of Object.entries(ns.links)) {
      const at = (key: string) => ["desired", "namespaces", nsName, "links", name, key];
      if (link.kind === "ipvlan" || link.kind === "macvlan") {
        if (!linkOf(link.parent.namespace, link.parent.name)) {
          issues.push({
            path: at("parent"),
            message:
              `names "${link.parent.namespace}/${link.parent.name}", which the desired state does not have`,
          });
        }
      }
      if (link.kind === "veth") {
        const peer = linkOf(link.peer.namespace, link.peer.name);
        const shown = `"${link.peer.namespace}/${link.peer.name}"`;
        if (!peer) {
          issues.push({
            path: at("peer"),
            message: `names ${shown}, which the desired state does not have`,
          });
        } else if (
          peer.kind !== "veth" || peer.peer.namespace !== nsName || peer.peer.name !== name
        ) {
          issues.push({
            path: at("peer"),
            message: `names ${shown}, whose peer does not point back to "${nsName}/${name}"`,
          });
        }
      }
      if (link.master !== undefined) {
        const master = ns.links[link.master];
        if (master?.kind !== "bridge") {
          issues.push({
            path: at("master"),
            message: master
              ? `names "${link.master}", a ${master.kind}, not a bridge`
              : `names "${link.master}", which namespace "${nsName}" does not have in the desired state`,
          });
        }
      }
    }
    ns.routes.forEach((route, r) => {
      if (route.dev !== undefined && !ns.links[route.dev]) {
        issues.push({
          path: ["desired", "namespaces", nsName, "routes", r, "dev"],
          message:
            `names "${route.dev}", which namespace "${nsName}" does not have in the desired state`,
        });
      }
    });
  }
  return issues;
}
