/**
 * Safe apply on the command line, with the simulated driver's state in a
 * temporary directory: the lock (two applies serialize, a waiter names the
 * holder, a SIGKILLed holder frees it), stale saved plans, rollback and
 * --no-rollback, confirm-or-revert (confirmed, reverted, and reverted by the
 * detached reverter after the waiting apply is SIGKILLed), and recovery from a
 * write-ahead record left by a killed apply.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HostLock } from "../../src/apply/lock.ts";
import type { Driver } from "../../src/drivers/driver.ts";
import { cli, stepCount } from "../_cli_in_process.ts";
import { FailingDriver } from "../_failing_driver.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MOD_URL = new URL("../../mod.ts", import.meta.url).href;
const EXAMPLE = "examples/howto_two_namespaces.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function args(a: string[]): string[] {
  return ["run", "-A", "--unstable-worker-options", "mod.ts", ...a];
}

async function netform(a: string[]): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: args(a),
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

function spawn(a: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: args(a),
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function collect(child: Deno.ChildProcess): Promise<Run> {
  const output = await child.output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

function assertExit(run: Run, code: number, what: string): void {
  assert.equal(
    run.code,
    code,
    `${what}: expected exit ${code}, got ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
  );
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "netform_safe_apply_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A manifest in `dir` with one namespace `ns` holding a veth pair. */
async function vethManifest(dir: string, name: string, ns: string): Promise<string> {
  const file = join(dir, `${name}.ts`);
  await Deno.writeTextFile(
    file,
    `import { topology } from "${MOD_URL}";
export default topology({
  name: "${name}",
  namespaces: {
    ${ns}: {
      links: {
        lo: { kind: "loopback" },
        a0: { kind: "veth", peer: "b0", addresses: ["10.77.0.1/24"] },
        b0: { kind: "veth", peer: "a0", addresses: ["10.77.0.2/24"] },
      },
      routes: [{ to: "10.78.0.0/24", via: "10.77.0.9", dev: "a0" }],
    },
  },
});
`,
  );
  return file;
}

/** Writes a fresh default host to `state` (a snapshot of the simulator's starting host). */
async function freshState(state: string): Promise<void> {
  assertExit(await netform(["snapshot", "--driver", "sim", "--out", state]), 0, "snapshot --out");
}

async function show(state: string): Promise<unknown> {
  const run = await netform(["show", "--driver", "sim", "--state", state, "--json"]);
  assertExit(run, 0, "show");
  return JSON.parse(run.stdout);
}

/** Resolves once `file` exists (or fails after `ms`). */
/** Reads `child`'s stdout until `pattern` appears (then stops reading it; stderr is dropped). */
async function readUntil(child: Deno.ChildProcess, pattern: RegExp, ms = 20_000): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => reader.cancel(), ms);
  let text = "";
  try {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the output ended without ${pattern}:\n${text}`);
      text += value;
    }
    return text;
  } finally {
    clearTimeout(timer);
    await reader.cancel();
    await child.stderr.cancel();
  }
}

async function waitForFile(file: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await Deno.stat(file);
      return;
    } catch {
      if (Date.now() > end) throw new Error(`${file} did not appear within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

Deno.test("two concurrent applies to one state file serialize: one applies, the other finds nothing to do", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    await freshState(state);
    const apply = () =>
      spawn([
        "apply",
        EXAMPLE,
        "--driver",
        "sim",
        "--state",
        state,
        "--auto-approve",
        "--lock-timeout",
        "60s",
      ]);
    const [a, b] = await Promise.all([collect(apply()), collect(apply())]);
    assertExit(a, 0, "first apply");
    assertExit(b, 0, "second apply");
    const complete = [a, b].filter((r) => r.stdout.includes("Apply complete!"));
    const nothing = [a, b].filter((r) => r.stdout.includes("No changes."));
    assert.equal(complete.length, 1, a.stdout + b.stdout);
    assert.equal(nothing.length, 1, a.stdout + b.stdout);
    const plan = await netform([
      "plan",
      EXAMPLE,
      "--driver",
      "sim",
      "--state",
      state,
      "--detailed-exitcode",
    ]);
    assertExit(plan, 0, "plan after both");
  });
});

Deno.test("an apply that cannot get the lock in time fails naming the holder's pid, and changes nothing", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const lock = await HostLock.acquire(`${state}.lock`, { command: "test holder" });
    try {
      const started = Date.now();
      const run = await netform([
        "apply",
        EXAMPLE,
        "--driver",
        "sim",
        "--state",
        state,
        "--state-init",
        "--auto-approve",
        "--lock-timeout",
        "300ms",
      ]);
      assertExit(run, 1, "apply while locked");
      assert.match(
        run.stderr,
        new RegExp(`another netform holds it \\(pid ${Deno.pid}, test holder`),
      );
      assert.match(run.stderr, /after waiting 300ms/);
      assert.match(run.stdout, /Waiting for the lock on the state file/);
      assert.ok(Date.now() - started >= 300);
      await assert.rejects(Deno.stat(state), Deno.errors.NotFound);
    } finally {
      lock.release();
    }
  });
});

Deno.test("a holder killed with SIGKILL does not leave the state file locked", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const lockUrl = new URL("../../src/apply/lock.ts", import.meta.url).href;
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { HostLock } from "${lockUrl}";
         await HostLock.acquire(${JSON.stringify(`${state}.lock`)}, { command: "doomed" });
         console.log("held");
         setInterval(() => {}, 1000);`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = holder.stdout.getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /held/);
    const locked = await netform([
      "apply",
      EXAMPLE,
      "--driver",
      "sim",
      "--state",
      state,
      "--state-init",
      "--auto-approve",
    ]);
    assertExit(locked, 1, "apply while the holder lives");
    assert.match(locked.stderr, new RegExp(`pid ${holder.pid}, doomed`));
    holder.kill("SIGKILL");
    await holder.status;
    reader.releaseLock();
    await holder.stdout.cancel();
    const run = await netform([
      "apply",
      EXAMPLE,
      "--driver",
      "sim",
      "--state",
      state,
      "--state-init",
      "--auto-approve",
    ]);
    assertExit(run, 0, "apply after the holder died");
    assert.match(run.stdout, /Apply complete!/);
  });
});

Deno.test("a saved plan is refused once what it was planned from changed, naming the objects; unrelated churn does not block it", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const planFile = join(dir, "plan.json");
    const mine = await vethManifest(dir, "mine", "nsa");
    const unrelated = await vethManifest(dir, "unrelated", "nsz");
    const sim = ["--driver", "sim", "--state", state];
    const init = [...sim, "--state-init"];
    assertExit(await netform(["plan", mine, ...init, "--out", planFile]), 0, "plan --out");
    const saved = JSON.parse(await Deno.readTextFile(planFile));
    assert.match(saved.basis.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(saved.irreversible, []);

    // Another topology in another namespace: outside this plan's scope.
    assertExit(
      await netform(["apply", unrelated, ...init, "--auto-approve"]),
      0,
      "unrelated apply",
    );
    const first = await netform(["apply", planFile, ...sim, "--auto-approve"]);
    assertExit(first, 0, "apply the saved plan after unrelated churn");

    // The plan's own namespace changed (it was applied): the same file is now stale.
    const again = await netform(["apply", planFile, ...sim, "--auto-approve"]);
    assertExit(again, 1, "apply the stale plan");
    assert.match(
      again.stderr,
      /Cannot apply the saved plan ".*plan\.json": the host changed since it was planned: /,
    );
    assert.match(again.stderr, /added namespace\.nsa/);
    assert.match(again.stderr, /added link\.nsa\.a0/);
    assert.match(again.stderr, /run `netform plan --out .*plan\.json` again/);
  });
});

Deno.test("a failing step rolls back what was done and says so; --no-rollback keeps it and says exactly what it is", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const mine = await vethManifest(dir, "mine", "nsa");
    const sim = ["--driver", "sim", "--state", state];
    await freshState(state);
    // The driver refuses the last step of the plan; the rest, and the undo, run on the simulator.
    const steps = await stepCount([mine, ...sim]);
    const failLast = { wrapDriver: (d: Driver) => new FailingDriver(d, steps - 1) };
    const before = await show(state);

    const rolled = await cli(["apply", mine, ...sim, "--auto-approve"], failLast);
    assert.equal(rolled.code, 1, rolled.output);
    assert.match(
      rolled.output,
      new RegExp(`step ${steps} of ${steps} failed \\(.*\\): Injected failure`),
    );
    assert.match(rolled.output, /Rolled back: the host is as it was before the apply/);
    assert.match(rolled.output, /Done: create namespace "nsa"; .*Undone: .*create namespace "nsa"/);
    assert.deepEqual(await show(state), before);

    const kept = await cli(["apply", mine, ...sim, "--auto-approve", "--no-rollback"], failLast);
    assert.equal(kept.code, 1, kept.output);
    assert.match(
      kept.output,
      /Rollback is off \(--no-rollback\): the \d+ step\(s\) done before it are kept/,
    );
    assert.match(kept.output, /partly changed: .*added link\.nsa\.a0; .*added namespace\.nsa; /);
    const now = await show(state) as { namespaces: Record<string, unknown> };
    assert.ok(now.namespaces.nsa, "the partial state is kept");
  });
});

Deno.test("apply --confirm-within: confirmed from another shell the change stays; unconfirmed it is reverted", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const mine = await vethManifest(dir, "mine", "nsa");
    const sim = ["--driver", "sim", "--state", state];
    await freshState(state);
    const before = await show(state);

    const waiting = spawn(["apply", mine, ...sim, "--auto-approve", "--confirm-within", "20s"]);
    await waitForFile(`${state}.pending-revert.json`);
    const other = await netform(["apply", mine, ...sim, "--auto-approve", "--lock-timeout", "0s"]);
    assertExit(other, 1, "a second apply during the window");
    const confirmed = await netform(["confirm", ...sim]);
    assertExit(confirmed, 0, "confirm");
    assert.match(confirmed.stdout, /Confirmed the apply of topology "mine"/);
    const kept = await collect(waiting);
    assertExit(kept, 0, "the waiting apply");
    assert.match(kept.stdout, /Confirmed \(by `netform confirm`\): the change is kept/);
    const plan = await netform(["plan", mine, ...sim, "--detailed-exitcode"]);
    assertExit(plan, 0, "still converged after confirmation");
    assertExit(await netform(["confirm", ...sim]), 1, "nothing left to confirm");

    assertExit(await netform(["destroy", mine, ...sim, "--auto-approve"]), 0, "destroy");
    assert.deepEqual(await show(state), before);
    const reverted = await netform([
      "apply",
      mine,
      ...sim,
      "--auto-approve",
      "--confirm-within",
      "1s",
    ]);
    assertExit(reverted, 1, "unconfirmed apply");
    assert.match(reverted.stdout, /Reverted the apply of topology "mine"/);
    assert.match(reverted.stdout, /The host is as it was before the apply/);
    assert.deepEqual(await show(state), before);
  });
});

Deno.test("apply --confirm-within: the waiting apply SIGKILLed, the detached reverter still reverts at the deadline", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const mine = await vethManifest(dir, "mine", "nsa");
    const sim = ["--driver", "sim", "--state", state];
    await freshState(state);
    const before = await show(state);
    const waiting = spawn(["apply", mine, ...sim, "--auto-approve", "--confirm-within", "3s"]);
    // Killed once the reverter is started: between writing the record and starting it, a kill
    // leaves only the backstop (the next apply acts on the expired record).
    await readUntil(waiting, /reverter pid \d+/);
    waiting.kill("SIGKILL");
    await waiting.status;
    const during = await show(state) as { namespaces: Record<string, unknown> };
    assert.ok(during.namespaces.nsa, "applied, waiting for confirmation");
    // The reverter sleeps until the deadline, then takes the lock the dead apply left free.
    const end = Date.now() + 20_000;
    while (await Deno.stat(`${state}.pending-revert.json`).then(() => true, () => false)) {
      assert.ok(Date.now() < end, "the reverter acted within 20 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    // It renames the record before it reverts: wait for its lock to be free again.
    const lock = await HostLock.acquire(`${state}.lock`, { timeoutMs: 20_000 });
    lock.release();
    assert.deepEqual(await show(state), before);
  });
});

Deno.test("objects a killed apply made but never marked are marked by the next apply, and destroy removes them", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const mine = await vethManifest(dir, "mine", "nsa");
    const sim = ["--driver", "sim", "--state", state];
    await freshState(state);
    const before = await show(state);
    // What a SIGKILL between RTM_NEWLINK and the alias leaves: the namespace and the veth
    // pair exist with no alias, and the write-ahead record names them.
    const { SimDriver } = await import("../../src/drivers/sim/driver.ts");
    const driver = await SimDriver.open(state);
    await driver.execute({ op: "namespace.create", namespace: "nsa" });
    await driver.execute({
      op: "link.create",
      link: {
        namespace: "nsa",
        name: "a0",
        kind: "veth",
        up: false,
        peer: { namespace: "nsa", name: "b0", up: false },
      },
    });
    await driver.flush();
    await Deno.writeTextFile(
      `${state}.intent.json`,
      JSON.stringify({
        formatVersion: 1,
        pid: 999999,
        topology: "mine",
        started: "2026-01-01T00:00:00.000Z",
        namespaces: ["nsa"],
        links: [{ namespace: "nsa", name: "a0" }, { namespace: "nsa", name: "b0" }],
      }),
    );
    const plan = await netform(["plan", mine, ...sim]);
    assertExit(plan, 0, "plan");
    assert.match(plan.stdout, /did not finish; 3 object\(s\) it made are not yet marked/);
    const destroy = await netform(["destroy", mine, ...sim, "--auto-approve"]);
    assertExit(destroy, 0, "destroy");
    assert.match(
      destroy.stdout,
      /Recovered from an apply of topology "mine" that did not finish \(pid 999999/,
    );
    assert.match(
      destroy.stdout,
      /change alias of "a0" in namespace "nsa" \(made but not yet marked as owned\)/,
    );
    assert.deepEqual(await show(state), before);
    await assert.rejects(Deno.stat(`${state}.intent.json`), Deno.errors.NotFound);
  });
});
