/**
 * The command line as a user runs it: `deno run -A mod.ts <command>` in a
 * subprocess from the repository root, with the simulated driver's state in
 * a temporary directory.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MOD_URL = new URL("../../mod.ts", import.meta.url).href;
const EXAMPLE = "examples/howto_two_namespaces.ts";
const OTHER_EXAMPLE = "examples/l3s.ts";

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `netform ARGS` with stdin closed (no terminal). Every run is also
 * checked for ANSI escapes: output that is not a terminal is never coloured.
 */
async function netform(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "mod.ts", ...args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env,
  }).output();
  const run = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  const where = `netform ${args.join(" ")}`;
  assert.doesNotMatch(run.stdout, ANSI, `${where}: stdout has ANSI escapes`);
  assert.doesNotMatch(run.stderr, ANSI, `${where}: stderr has ANSI escapes`);
  return run;
}

/** Asserts the exit code, showing both streams when it differs. */
function assertExit(run: Run, code: number, what: string): void {
  assert.equal(
    run.code,
    code,
    `${what}: expected exit ${code}, got ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
  );
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "netform_cli_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await Deno.stat(file);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** A manifest whose ipvlan slave names a parent that is not declared. */
function invalidManifest(): string {
  return `import { topology } from ${JSON.stringify(MOD_URL)};

export default topology({
  name: "broken",
  namespaces: {
    ns1: { links: { x: { kind: "ipvlan", parent: "root/nope" } } },
  },
});
`;
}

Deno.test("validate accepts an example and rejects an invalid manifest naming the file, the path and a hint", async () => {
  await withTempDir(async (dir) => {
    const ok = await netform(["validate", EXAMPLE]);
    assertExit(ok, 0, "validate on an example");
    assert.match(ok.stdout, /is valid/);
    assert.match(ok.stdout, /howto-two-namespaces/);

    const bad = `${dir}/broken.ts`;
    await Deno.writeTextFile(bad, invalidManifest());
    const run = await netform(["validate", bad]);
    assertExit(run, 1, "validate on an invalid manifest");
    assert.equal(run.stdout, "", "nothing on stdout for an invalid manifest");
    assert.ok(run.stderr.includes(bad), `stderr names the file:\n${run.stderr}`);
    assert.ok(
      run.stderr.includes("namespaces.ns1.links.x.parent"),
      `stderr names the manifest path:\n${run.stderr}`,
    );
    assert.match(run.stderr, /root\/nope/, "stderr names the missing parent");
    assert.match(run.stderr, /declare it under namespaces\.root\.links/, "stderr gives a hint");
  });
});

Deno.test("plan --state-init names the driver first, shows the changes from a fresh host and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/state.json`;
    const run = await netform([
      "plan",
      "--driver",
      "sim",
      "--state",
      state,
      "--state-init",
      EXAMPLE,
    ]);
    assertExit(run, 0, "plan");
    assert.match(run.stdout.split("\n")[0]!, /^netform: driver sim\b/);
    assert.ok(run.stdout.split("\n")[0]!.includes(state), "the driver line names the state file");
    assert.match(run.stdout, /namespace\.ns0 will be created/);
    assert.match(run.stdout, /Plan: 8 to add, 3 to change, 0 to destroy\./);
    assert.equal(await exists(state), false, "plan does not create the state file");

    const detailed = await netform([
      "plan",
      "--driver",
      "sim",
      "--state",
      state,
      "--state-init",
      "--detailed-exitcode",
      EXAMPLE,
    ]);
    assertExit(detailed, 2, "plan --detailed-exitcode with changes");
    assert.match(detailed.stdout, /Plan: 8 to add/);
    assert.equal(await exists(state), false, "plan --detailed-exitcode does not create it either");
  });
});

Deno.test("apply needs approval, converges with --auto-approve, and destroy returns the host to a fresh default", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/state.json`;
    const sim = ["--driver", "sim", "--state", state];
    // The file does not exist yet: each command until one writes it says to start fresh.
    const init = [...sim, "--state-init"];

    const fresh = await netform(["show", ...init, "--json"]);
    assertExit(fresh, 0, "show --json on a fresh host");
    const freshHost = JSON.parse(fresh.stdout);
    assert.ok(freshHost.namespaces.root.links.eth0, "the default host has eth0");
    assert.match(fresh.stderr, /^netform: driver sim/, "in JSON mode the driver line is on stderr");
    assert.equal(await exists(state), false, "show does not create the state file");

    // No terminal, no --auto-approve: refused before anything is written.
    const refused = await netform(["apply", ...init, EXAMPLE]);
    assertExit(refused, 1, "apply without --auto-approve and no terminal");
    assert.match(refused.stderr, /standard input is not a terminal/);
    assert.match(refused.stderr, /--auto-approve/);
    assert.equal(await exists(state), false, "a refused apply does not create the state file");

    const applied = await netform(["apply", ...init, "--auto-approve", EXAMPLE]);
    assertExit(applied, 0, "apply --auto-approve");
    assert.match(applied.stdout, /Apply complete! Resources: 8 added, 3 changed, 0 destroyed\./);
    assert.ok(await exists(state), "apply writes the state file");
    const afterApply = await Deno.readFile(state);

    const again = await netform(["plan", ...sim, "--detailed-exitcode", EXAMPLE]);
    assertExit(again, 0, "plan --detailed-exitcode after apply");

    // A refused apply of another topology leaves the existing state byte-identical.
    const refusedAgain = await netform(["apply", ...sim, OTHER_EXAMPLE]);
    assertExit(refusedAgain, 1, "apply of another manifest without --auto-approve");
    assert.deepEqual(await Deno.readFile(state), afterApply, "a refused apply changes nothing");

    // An invalid manifest changes nothing, even with --auto-approve.
    const bad = `${dir}/broken.ts`;
    await Deno.writeTextFile(bad, invalidManifest());
    const invalid = await netform(["apply", ...sim, "--auto-approve", bad]);
    assertExit(invalid, 1, "apply of an invalid manifest");
    assert.ok(invalid.stderr.includes(bad), "the error names the manifest");
    assert.deepEqual(await Deno.readFile(state), afterApply, "an invalid manifest changes nothing");

    const refusedDestroy = await netform(["destroy", ...sim, EXAMPLE]);
    assertExit(refusedDestroy, 1, "destroy without --auto-approve and no terminal");
    assert.deepEqual(await Deno.readFile(state), afterApply, "a refused destroy changes nothing");

    const destroyed = await netform(["destroy", ...sim, "--auto-approve", EXAMPLE]);
    assertExit(destroyed, 0, "destroy --auto-approve");
    assert.match(
      destroyed.stdout,
      /Destroy complete! Resources: \d+ destroyed\./,
    );

    const back = await netform(["show", ...sim, "--json"]);
    assertExit(back, 0, "show --json after destroy");
    assert.deepEqual(JSON.parse(back.stdout), freshHost, "the host is back to a fresh default");
  });
});

Deno.test("plan --json prints only parseable JSON on stdout, and a plan saved with --out applies", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/state.json`;
    const saved = `${dir}/p.json`;
    const sim = ["--driver", "sim", "--state", state];

    const run = await netform(["plan", ...sim, "--state-init", "--json", "--out", saved, EXAMPLE]);
    assertExit(run, 0, "plan --json --out");
    const plan = JSON.parse(run.stdout);
    assert.equal(plan.formatVersion, "1.2");
    assert.equal(plan.kind, "apply");
    assert.equal(plan.topology, "howto-two-namespaces");
    assert.deepEqual(plan.summary, { import: 0, add: 8, change: 3, destroy: 0 });
    assert.match(run.stderr, /^netform: driver sim/, "human lines go to stderr");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(saved)), plan, "--out saves the same plan");

    const applied = await netform(["apply", ...sim, "--state-init", saved, "--auto-approve"]);
    assertExit(applied, 0, "apply of a saved plan");
    assert.match(applied.stdout, /Apply complete! Resources: 8 added, 3 changed, 0 destroyed\./);

    const again = await netform(["plan", ...sim, "--detailed-exitcode", EXAMPLE]);
    assertExit(again, 0, "plan after applying the saved plan");
  });
});

Deno.test("show --json is valid JSON and a snapshot written with --out is accepted as --state", async () => {
  await withTempDir(async (dir) => {
    const snapshot = `${dir}/snap.json`;
    const snap = await netform(["snapshot", "--driver", "sim", "--out", snapshot]);
    assertExit(snap, 0, "snapshot --out");
    assert.equal(snap.stdout, "", "snapshot --out writes nothing to stdout");
    assert.ok(snap.stderr.includes(snapshot), "snapshot --out says where it wrote");
    const text = await Deno.readTextFile(snapshot);
    assert.equal(JSON.parse(text).formatVersion, 1);

    const plan = await netform(["plan", "--driver", "sim", "--state", snapshot, EXAMPLE]);
    assertExit(plan, 0, "plan against the snapshot");
    assert.match(plan.stdout, /Plan: 8 to add, 3 to change, 0 to destroy\./);

    const show = await netform(["show", "--driver", "sim", "--state", snapshot, "--json"]);
    assertExit(show, 0, "show --json");
    const host = JSON.parse(show.stdout);
    assert.deepEqual(Object.keys(host.namespaces), ["root"]);
    assert.equal(await Deno.readTextFile(snapshot), text, "plan and show leave the snapshot alone");
  });
});

Deno.test("a malformed --state file is rejected with exit 1, naming the file, and left as it was", async () => {
  await withTempDir(async (dir) => {
    const cases = {
      "not JSON": "{ not json",
      "not a snapshot": JSON.stringify({ formatVersion: 1 }),
    };
    for (const [what, content] of Object.entries(cases)) {
      const state = `${dir}/${what.replaceAll(" ", "_")}.json`;
      await Deno.writeTextFile(state, content);
      const run = await netform(["plan", "--driver", "sim", "--state", state, EXAMPLE]);
      assertExit(run, 1, `plan with a state file that is ${what}`);
      assert.ok(run.stderr.includes(state), `the error names the file:\n${run.stderr}`);
      assert.match(run.stderr, /Invalid snapshot/);
      assert.doesNotMatch(run.stderr, /unexpected failure/, "a user error, not a crash");
      assert.equal(await Deno.readTextFile(state), content, "the bad file is left as it was");
    }
  });
});

Deno.test("the live driver is the default and reads the host, and NO_COLOR output has no ANSI escapes", async () => {
  const withState = await netform(["plan", "--driver", "live", "--state", "x.json", EXAMPLE]);
  assertExit(withState, 1, "plan --driver live --state");
  assert.match(withState.stderr, /Cannot use --state with the live driver/);

  const liveByDefault = await netform(["show", "--json"]);
  assertExit(liveByDefault, 0, "show with the default driver");
  assert.match(liveByDefault.stderr, /^netform: driver live/);
  assert.ok(JSON.parse(liveByDefault.stdout).namespaces.root, "the live host has a root namespace");

  // netform() itself asserts there are no ANSI escapes on either stream.
  const plain = await netform(["plan", "--driver", "sim", EXAMPLE], { NO_COLOR: "1" });
  assertExit(plain, 0, "plan with NO_COLOR");
  assert.match(plain.stdout, /\+ create/);
});
