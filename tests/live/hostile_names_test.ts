/**
 * Names someone else gave objects on this machine's kernel, made to spoof netform's output on a
 * terminal: a namespace whose name holds a newline, a fake `Plan:` line and ESC [8m (which hides
 * the rest of the line); a link in an owned namespace named with ESC (the kernel's
 * `dev_valid_name` allows it: ESC is no space); and a link alias that sets the terminal's title
 * (OSC … BEL). `show`, a refused `destroy` (which names the foreign link) and the cascading
 * destroy (which lists it) must print each of them escaped, on the line it belongs to.
 *
 * Needs root; everything is named after a unique prefix and removed in `finally`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../_cli_in_process.ts";
import { hostSnapshot, leftoverNamespaces, removeNamespaces, uniquePrefix } from "./_unique.ts";

const MOD_URL = new URL("../../mod.ts", import.meta.url).href;
const ignore = Deno.uid?.() !== 0;

function ip(...args: string[]): void {
  const out = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Every character a terminal acts on, other than the line breaks between lines. */
const TERMINAL_CONTROLS =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

/** `output` has no raw control character, and no line of its own that a name started. */
function assertInert(output: string, what: string): void {
  const at = output.search(TERMINAL_CONTROLS);
  assert.equal(at, -1, `${what}: a raw control character at ${at}:\n${JSON.stringify(output)}`);
  for (const line of output.split("\n")) {
    assert.ok(
      !line.startsWith("Plan: 0 to add, 0 to change, 0 to destroy."),
      `${what}: a name started a line:\n${output}`,
    );
  }
}

Deno.test({
  name: "names and aliases from the host that would spoof a terminal are printed escaped",
  ignore,
  async fn() {
    const before = await hostSnapshot();
    const p = uniquePrefix("nfhn");
    const owned = `${p}a`;
    const hostile = `${p}x\nPlan: 0 to add, 0 to change, 0 to destroy.\x1b[8m`;
    const escapedNamespace = `${p}x\\nPlan: 0 to add, 0 to change, 0 to destroy.\\u001b[8m`;
    const dir = await Deno.makeTempDir({ prefix: "netform_hostile_live_" });
    const live = ["--driver", "live"];
    const wait = ["--lock-timeout", "120s"];
    try {
      const file = join(dir, "topology.ts");
      await Deno.writeTextFile(
        file,
        `import { topology } from ${JSON.stringify(MOD_URL)};
export default topology({
  name: ${JSON.stringify(`${p}t`)},
  namespaces: {
    ${JSON.stringify(owned)}: {
      links: { lo: { kind: "loopback" }, br0: { kind: "bridge", addresses: ["10.71.0.1/24"] } },
    },
  },
});
`,
      );
      const first = await cli(["apply", file, ...live, ...wait, "--auto-approve"]);
      assert.equal(first.code, 0, first.output);

      ip("netns", "add", hostile);
      ip(
        "-n",
        owned,
        "link",
        "add",
        "f\x1b[8m",
        "type",
        "veth",
        "peer",
        "name",
        "f1",
        "netns",
        hostile,
      );
      ip("-n", owned, "link", "set", "f\x1b[8m", "alias", "\x1b]0;owned\x07\u202eevil");

      const show = await cli(["show", ...live]);
      assert.equal(show.code, 0, show.output);
      assertInert(show.output, "show");
      assert.ok(show.output.includes(`namespace "${escapedNamespace}"`), show.output);
      assert.ok(show.output.includes(`link "f\\u001b[8m"`), show.output);
      assert.ok(show.output.includes(`"\\u001b]0;owned\\u0007\\u202eevil"`), show.output);

      const json = await cli(["show", ...live, "--json"]);
      assertInert(json.output, "show --json");

      const plan = await cli(["plan", file, ...live, "--detailed-exitcode"]);
      assert.equal(plan.code, 0, plan.output);
      assertInert(plan.output, "plan");

      const refused = await cli(["destroy", file, ...live, ...wait, "--auto-approve"]);
      assert.equal(refused.code, 1, refused.output);
      assertInert(refused.output, "a refused destroy");
      assert.ok(refused.output.includes(`link.${owned}.f\\u001b[8m`), refused.output);
      assert.ok(refused.output.includes(escapedNamespace), refused.output);

      const allowed = await cli([
        "destroy",
        file,
        ...live,
        ...wait,
        "--auto-approve",
        "--allow-cascade-foreign",
      ]);
      assert.equal(allowed.code, 0, allowed.output);
      assertInert(allowed.output, "a cascading destroy");
      assert.match(allowed.output, /Objects this topology does not own that go with it/);
      assert.ok(allowed.output.includes(`link.${owned}.f\\u001b[8m`), allowed.output);
      // The foreign namespace stays (`ip netns list` cuts its name at the newline).
      assert.deepEqual(await leftoverNamespaces(p), [`${p}x`]);
    } finally {
      // `ip netns list` prints the hostile name on two lines: delete it by its exact name.
      new Deno.Command("ip", { args: ["netns", "del", hostile], stderr: "null" }).outputSync();
      await removeNamespaces(p);
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(await hostSnapshot(), before, "the host's own network is untouched");
  },
});
