/**
 * Rollback on this machine's kernel: an apply and a destroy through the CLI (`main()` in this
 * process) whose last step is refused (the driver is wrapped to refuse it; every other step and
 * every undo goes to the kernel). The apply rolls back and the host is as
 * before, as netform and `ip` see it; the same for a destroy plan, whose undo creates the
 * namespaces, links, addresses and routes again, after which the topology is converged again.
 * `ip` sees the same links, addresses and routes, except what the plan names as not restorable
 * (new MAC addresses, and so new IPv6 link-local addresses).
 * Needs root; everything is named after a unique prefix and removed in `finally`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Driver } from "../../src/drivers/driver.ts";
import { cli, stepCount } from "../_cli_in_process.ts";
import { FailingDriver } from "../_failing_driver.ts";
import { hostSnapshot, leftoverNamespaces, removeNamespaces, uniquePrefix } from "./_unique.ts";

const MOD_URL = new URL("../../mod.ts", import.meta.url).href;
const isRoot = Deno.uid?.() === 0;

function manifest(prefix: string): string {
  const ref = (n: string, link: string) => JSON.stringify(`${prefix}${n}/${link}`);
  return `import { topology } from ${JSON.stringify(MOD_URL)};
export default topology({
  name: ${JSON.stringify(`${prefix}rb`)},
  namespaces: {
    [${JSON.stringify(prefix + "gw")}]: {
      links: {
        lo: { kind: "loopback" },
        br0: { kind: "bridge", mtu: 1400, addresses: ["10.50.0.1/24"] },
        "p-a": { kind: "veth", peer: ${ref("a", "eth0")}, master: "br0" },
      },
    },
    [${JSON.stringify(prefix + "a")}]: {
      links: {
        lo: { kind: "loopback" },
        eth0: { kind: "veth", peer: ${ref("gw", "p-a")}, addresses: ["10.50.0.11/24"] },
        mv0: { kind: "macvlan", parent: "eth0", addresses: ["10.51.0.1/24"] },
      },
      routes: [{ to: "default", via: "10.50.0.1", dev: "eth0" }],
    },
  },
});
`;
}

/** `ip -o link` and `ip -o addr` of every namespace with `prefix`, ifindexes and MACs left out. */
async function witness(prefix: string): Promise<string> {
  const lines: string[] = [];
  for (const ns of await leftoverNamespaces(prefix)) {
    for (const what of [["link"], ["addr"], ["route"]]) {
      const r = await new Deno.Command("ip", { args: ["-n", ns, "-o", ...what], stdout: "piped" })
        .output();
      for (const l of new TextDecoder().decode(r.stdout).trim().split("\n")) {
        // Link-local addresses derive from the MAC, which a re-created link does not keep (the
        // plan names that); operstate follows carrier and settles on its own.
        if (/ inet6 fe80:/.test(l)) continue;
        lines.push(
          `${ns} ${
            l.replace(/^\d+: /, "").replace(/link\/ether \S+ brd \S+/, "").replace(/@if\d+/, "")
              .replace(/ state \S+/, "")
          }`
            .replace(/\s+/g, " "),
        );
      }
    }
  }
  return lines.sort().join("\n");
}

/** Refuses the last of the `steps` operations of the command: its first `steps - 1` are done. */
function failingLast(steps: number) {
  return { wrapDriver: (driver: Driver) => new FailingDriver(driver, steps - 1) };
}

Deno.test({
  name:
    "a live apply and a live destroy that fail at their last step are rolled back, witnessed by ip",
  ignore: !isRoot,
  async fn() {
    const before = await hostSnapshot();
    const prefix = uniquePrefix("nfrb");
    const dir = await Deno.makeTempDir({ prefix: "netform_rollback_live_" });
    const file = join(dir, "topology.ts");
    try {
      await Deno.writeTextFile(file, manifest(prefix));
      const live = ["--driver", "live", "--auto-approve", "--lock-timeout", "120s"];

      const applySteps = await stepCount([file, "--driver", "live"]);
      const failed = await cli(["apply", file, ...live], failingLast(applySteps));
      assert.equal(failed.code, 1, failed.output);
      assert.match(failed.output, /Rolled back: the host is as it was before the apply/);
      assert.match(failed.output, new RegExp(`Undone: .*create namespace "${prefix}gw"`));
      assert.deepEqual(await leftoverNamespaces(prefix), []);

      assert.equal((await cli(["apply", file, ...live])).code, 0);
      const applied = await witness(prefix);
      const destroySteps = await stepCount([file, "--driver", "live", "--destroy"]);
      const refused = await cli(["destroy", file, ...live], failingLast(destroySteps));
      assert.match(refused.output, /Steps that a rollback cannot undo exactly:/);
      assert.equal(refused.code, 1, refused.output);
      assert.match(refused.output, /Rolled back: the host is as it was before the apply/);
      assert.equal(await witness(prefix), applied, "ip sees the same links, addresses and routes");
      const plan = await cli(["plan", file, "--driver", "live", "--detailed-exitcode"]);
      assert.equal(plan.code, 0, plan.output);

      assert.equal((await cli(["destroy", file, ...live])).code, 0);
      assert.deepEqual(await leftoverNamespaces(prefix), []);
    } finally {
      await removeNamespaces(prefix);
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(await hostSnapshot(), before, "the host's own network is untouched");
  },
});
