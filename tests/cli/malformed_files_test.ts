/**
 * Malformed state and plan files through the command line: refused with the
 * file and the JSON path, exit 1, and the state file left byte for byte.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MIB = 1024 * 1024;

async function netform(args: string[]): Promise<{ code: number; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "mod.ts", ...args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("malformed state and plan files are refused and change nothing", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "netform_malformed_" });
  try {
    const state = `${dir}/host.json`;
    const sim = ["--driver", "sim", "--state", state];
    const setup = await netform([
      "apply",
      "examples/veth_router.ts",
      ...sim,
      "--state-init",
      "--auto-approve",
    ]);
    assert.equal(setup.code, 0, setup.stderr);
    const saved = `${dir}/plan.json`;
    const planned = await netform(["plan", "examples/l3s.ts", ...sim, "--out", saved]);
    assert.equal(planned.code, 0, planned.stderr);
    const good = await Deno.readFile(state);
    const goodPlan = JSON.parse(await Deno.readTextFile(saved));

    const refused = (run: { code: number; stderr: string }, message: RegExp) => {
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, message);
    };

    await t.step("an inconsistent plan", async () => {
      goodPlan.desired.namespaces.ns0.links.ipvl0.parent.name = "eth7";
      await Deno.writeTextFile(saved, JSON.stringify(goodPlan));
      refused(
        await netform(["apply", saved, ...sim, "--auto-approve"]),
        /Cannot read plan ".*plan\.json": desired\.namespaces\.ns0\.links\.ipvl0\.parent: names "root\/eth7", which the desired state does not have/,
      );
      assert.deepEqual(await Deno.readFile(state), good);
    });

    await t.step("a truncated plan", async () => {
      await Deno.writeTextFile(saved, JSON.stringify(goodPlan).slice(0, 200));
      refused(
        await netform(["apply", saved, ...sim, "--auto-approve"]),
        /Cannot read plan ".*plan\.json": not valid JSON/,
      );
      assert.deepEqual(await Deno.readFile(state), good);
    });

    await t.step("a huge plan, refused without reading it", async () => {
      await Deno.truncate(saved, 65 * MIB);
      refused(
        await netform(["apply", saved, ...sim, "--auto-approve"]),
        /Cannot read plan ".*plan\.json": the file is 65\.0 MiB, larger than 64 MiB/,
      );
      assert.deepEqual(await Deno.readFile(state), good);
    });

    await t.step("an inconsistent state file", async () => {
      const broken = JSON.parse(new TextDecoder().decode(good));
      const v1 = broken.namespaces.h1.links.findIndex((l: { name: string }) => l.name === "eth0");
      broken.namespaces.h1.links[v1].peer.ifindex = 99;
      const text = JSON.stringify(broken, null, 2);
      await Deno.writeTextFile(state, text);
      refused(
        await netform(["apply", "examples/l3s.ts", ...sim, "--auto-approve"]),
        new RegExp(
          `Invalid snapshot ".*host\\.json": \\$\\.namespaces\\.h1\\.links\\[${v1}\\]\\.peer: names ifindex 99 in "router", which no link there has`,
        ),
      );
      assert.equal(await Deno.readTextFile(state), text);
    });

    await t.step("a huge state file", async () => {
      await Deno.truncate(state, 65 * MIB);
      refused(
        await netform(["plan", "examples/l3s.ts", ...sim]),
        /Invalid snapshot ".*host\.json": the file is 65\.0 MiB, larger than 64 MiB/,
      );
      assert.equal((await Deno.stat(state)).size, 65 * MIB);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
