/**
 * The files netform reads, through the command line: duplicate JSON keys in
 * each kind of file, paths that are not regular files (a FIFO must not hang
 * anything), symbolic links (followed: the target is read and replaced, the
 * link kept), and a missing `--state` (refused unless `--state-init`, which
 * refuses an existing file). Each refusal: exit 1, the exact message, no stack
 * trace, and the files as they were.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HostLock } from "../../src/apply/lock.ts";
import {
  assertOk,
  assertRefused,
  listDir,
  netform,
  stateWithSomething,
  withDuplicateKey,
  withTempDir,
} from "./_state_files.ts";

// deno-lint-ignore no-explicit-any -- files as raw JSON, edited freely
type Json = any;

const MANIFEST = "examples/l3s.ts";
const OWNER = "examples/veth_router.ts";
const KEEPS_ONE = "(a JSON reader keeps only one of the two)";

const invalidSnapshot = (file: string, detail: string) =>
  `Invalid snapshot "${file}": ${detail}; fix the file, or capture a new one with ` +
  `\`netform snapshot --out ${file}\``;
const badPlan = (file: string, detail: string) =>
  `Cannot read plan "${file}": ${detail}; re-run \`netform plan --out\` to save a new plan`;
const badIntent = (file: string, detail: string) =>
  `Cannot read the intent record "${file}": ${detail}; netform writes it before an apply and ` +
  `removes it after: if no netform is running, remove it and run again`;
const badPending = (file: string, detail: string) =>
  `Cannot read the pending revert "${file}": ${detail}; netform writes it while an apply ` +
  `waits for confirmation: if none is waiting, remove it and run again`;

const linkIndex = (s: Json, ns: string, name: string) =>
  s.namespaces[ns].links.findIndex((l: Json) => l.name === name);

interface DuplicateCase {
  name: string;
  /** Which file gets the duplicate. */
  file: "state" | "plan" | "intent" | "pending";
  /** The file's text, from the good state or plan (or undefined: the record's own). */
  text: (good: { state: Json; plan: Json; intent: Json; pending: Json }) => string;
  args: (f: Files) => string[];
  message: (f: Files) => string;
}

interface Files {
  dir: string;
  state: string;
  plan: string;
  intent: string;
  pending: string;
  sim: string[];
}

const DUPLICATES: DuplicateCase[] = [
  {
    name: "state: a top-level key (plan)",
    file: "state",
    text: ({ state }) => withDuplicateKey(state, [], "macSeq"),
    args: (f) => ["plan", MANIFEST, ...f.sim],
    message: (f) => invalidSnapshot(f.state, `$.macSeq: duplicate key "macSeq" ${KEEPS_ONE}`),
  },
  {
    name: "state: a whole namespace given twice (show)",
    file: "state",
    text: ({ state }) => withDuplicateKey(state, ["namespaces"], "h1"),
    args: (f) => ["show", ...f.sim],
    message: (f) => invalidSnapshot(f.state, `$.namespaces.h1: duplicate key "h1" ${KEEPS_ONE}`),
  },
  {
    name: "state: a link's MTU (apply)",
    file: "state",
    text: ({ state }) =>
      withDuplicateKey(
        state,
        ["namespaces", "router", "links", linkIndex(state, "router", "br0")],
        "mtu",
      ),
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) =>
      invalidSnapshot(
        f.state,
        `$.namespaces.router.links[1].mtu: duplicate key "mtu" ${KEEPS_ONE}`,
      ),
  },
  {
    name: "state: an address, five levels down (destroy)",
    file: "state",
    text: ({ state }) =>
      withDuplicateKey(
        state,
        ["namespaces", "h1", "links", linkIndex(state, "h1", "eth0"), "addresses", 0],
        "cidr",
      ),
    args: (f) => ["destroy", OWNER, ...f.sim, "--auto-approve"],
    message: (f) =>
      invalidSnapshot(
        f.state,
        `$.namespaces.h1.links[1].addresses[0].cidr: duplicate key "cidr" ${KEEPS_ONE}`,
      ),
  },
  {
    name: "state: the same key spelled with an escape (snapshot)",
    file: "state",
    text: ({ state }) =>
      withDuplicateKey(state, ["namespaces", "root", "links", 1], "mtu", '"m\\u0074u"'),
    args: (f) => ["snapshot", ...f.sim],
    message: (f) =>
      invalidSnapshot(f.state, `$.namespaces.root.links[1].mtu: duplicate key "mtu" ${KEEPS_ONE}`),
  },
  {
    name: "plan: the format version",
    file: "plan",
    text: ({ plan }) => withDuplicateKey(plan, [], "formatVersion"),
    args: (f) => ["apply", f.plan, ...f.sim, "--auto-approve"],
    message: (f) => badPlan(f.plan, `formatVersion: duplicate key "formatVersion" ${KEEPS_ONE}`),
  },
  {
    name: "plan: a step's operation name",
    file: "plan",
    text: ({ plan }) => withDuplicateKey(plan, ["steps", 3, "operation"], "op"),
    args: (f) => ["apply", f.plan, ...f.sim, "--auto-approve"],
    message: (f) => badPlan(f.plan, `steps[3].operation.op: duplicate key "op" ${KEEPS_ONE}`),
  },
  {
    name: "plan: a link of the desired state",
    file: "plan",
    text: ({ plan }) => withDuplicateKey(plan, ["desired", "namespaces", "ns0", "links"], "lo"),
    args: (f) => ["apply", f.plan, ...f.sim, "--auto-approve"],
    message: (f) =>
      badPlan(f.plan, `desired.namespaces.ns0.links.lo: duplicate key "lo" ${KEEPS_ONE}`),
  },
  {
    name: "intent record: its topology (apply)",
    file: "intent",
    text: ({ intent }) => withDuplicateKey(intent, [], "topology"),
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) => badIntent(f.intent, `$.topology: duplicate key "topology" ${KEEPS_ONE}`),
  },
  {
    name: "intent record: a recorded link's name (plan)",
    file: "intent",
    text: ({ intent }) => withDuplicateKey(intent, ["links", 1], "name"),
    args: (f) => ["plan", MANIFEST, ...f.sim],
    message: (f) => badIntent(f.intent, `$.links[1].name: duplicate key "name" ${KEEPS_ONE}`),
  },
  {
    name: "pending revert: an undo step (apply)",
    file: "pending",
    text: ({ pending }) => withDuplicateKey(pending, ["undo", 0], "op"),
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) => badPending(f.pending, `$.undo[0].op: duplicate key "op" ${KEEPS_ONE}`),
  },
  {
    name: "pending revert: its deadline (confirm)",
    file: "pending",
    text: ({ pending }) => withDuplicateKey(pending, [], "deadline"),
    args: (f) => ["confirm", ...f.sim],
    message: (f) => badPending(f.pending, `$.deadline: duplicate key "deadline" ${KEEPS_ONE}`),
  },
];

/** A write-ahead record as an apply killed after its first step leaves it. */
function intentRecord(): Json {
  return {
    formatVersion: 1,
    pid: 999999,
    topology: "l3s",
    started: "2026-01-01T00:00:00.000Z",
    namespaces: ["ns0"],
    links: [{ namespace: "ns0", name: "lo" }, { namespace: "ns0", name: "ipvl0" }],
  };
}

/** A pending revert, as an apply waiting for confirmation writes it. */
function pendingRecord(): Json {
  return {
    formatVersion: 1,
    pid: 999999,
    topology: "l3s",
    created: "2026-01-01T00:00:00.000Z",
    deadline: "2099-01-01T00:00:00.000Z",
    undo: [{ op: "namespace.delete", namespace: "ns0" }],
    scope: { topology: "l3s", namespaces: ["ns0"], rootLinks: ["eth0"], rootRoutes: [] },
    before: {},
  };
}

Deno.test("a key given twice in a state file, a saved plan or a record is refused at its JSON path, and nothing changes", async (t) => {
  await withTempDir(async (dir) => {
    const f: Files = {
      dir,
      state: join(dir, "host.json"),
      plan: join(dir, "plan.json"),
      intent: join(dir, "host.json.intent.json"),
      pending: join(dir, "host.json.pending-revert.json"),
      sim: ["--driver", "sim", "--state", join(dir, "host.json")],
    };
    const goodState = await stateWithSomething(f.state);
    assertOk(await netform(["plan", MANIFEST, ...f.sim, "--out", f.plan]), "plan --out");
    const goodPlan = await Deno.readFile(f.plan);
    const good = {
      state: JSON.parse(new TextDecoder().decode(goodState)),
      plan: JSON.parse(new TextDecoder().decode(goodPlan)),
      intent: intentRecord(),
      pending: pendingRecord(),
    };
    for (const c of DUPLICATES) {
      await t.step(c.name, async () => {
        const file = f[c.file];
        const text = c.text(good);
        await Deno.writeTextFile(file, text);
        const before = await listDir(dir);
        assertRefused(await netform(c.args(f)), c.message(f), c.name);
        assert.equal(await Deno.readTextFile(file), text, "the file with the duplicate is kept");
        if (c.file !== "state") assert.deepEqual(await Deno.readFile(f.state), goodState);
        assert.deepEqual(await listDir(dir), before, "no file was added or removed");
        // Back to a good state for the next case.
        await Deno.writeFile(f.state, goodState);
        await Deno.writeFile(f.plan, goodPlan);
        await Deno.remove(f.intent).catch(() => {});
        await Deno.remove(f.pending).catch(() => {});
      });
    }
  });
});

/** Makes a path that is not a regular file; returns what the messages call it. */
type Maker = (path: string) => Promise<string>;

const run = async (cmd: string, ...args: string[]) => {
  const out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
};

const listeners: Deno.Listener[] = [];
const MAKERS: Record<string, Maker> = {
  fifo: async (p) => (await run("mkfifo", p), "a named pipe (FIFO)"),
  directory: async (p) => (await Deno.mkdir(p), "a directory"),
  socket: (p) => {
    listeners.push(Deno.listen({ transport: "unix", path: p }));
    return Promise.resolve("a socket");
  },
  "character device (/dev/null)": async (
    p,
  ) => (await Deno.symlink("/dev/null", p), "a character device"),
  "character device that never ends (/dev/zero)": async (p) => (
    await Deno.symlink("/dev/zero", p), "a character device"
  ),
  "block device": async (p) => (await run("mknod", p, "b", "7", "200"), "a block device"),
  "symbolic link to a FIFO": async (p) => {
    await run("mkfifo", `${p}.target`);
    await Deno.symlink(`${p}.target`, p);
    return "a named pipe (FIFO)";
  },
};

Deno.test("a --state, a saved plan, an --out or a record that is not a regular file is refused at once, and nothing changes", async (t) => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const sim = ["--driver", "sim", "--state", state];
    const good = await stateWithSomething(state);
    let n = 0;
    const commands: { name: string; args: (p: string) => string[] }[] = [
      { name: "plan", args: (p) => ["plan", MANIFEST, "--driver", "sim", "--state", p] },
      { name: "show", args: (p) => ["show", "--driver", "sim", "--state", p] },
      {
        name: "apply",
        args: (p) => ["apply", MANIFEST, "--driver", "sim", "--state", p, "--auto-approve"],
      },
    ];
    try {
      for (const [kind, make] of Object.entries(MAKERS)) {
        await t.step(`${kind} as --state`, async () => {
          const path = join(dir, `state${n++}.json`);
          const described = await make(path);
          const before = await listDir(dir);
          const command = commands[n % commands.length]!;
          assertRefused(
            await netform(command.args(path)),
            `Cannot read the state file "${path}": it is ${described}, not a regular file; ` +
              `pass --state the path of a snapshot file`,
            `${command.name} --state <${kind}>`,
          );
          assert.deepEqual(await listDir(dir), before, "nothing was created (not even a lock)");
        });
        await t.step(`${kind} as the saved plan to apply`, async () => {
          const path = join(dir, `plan${n++}.json`);
          const described = await make(path);
          const before = await listDir(dir);
          assertRefused(
            await netform(["apply", path, ...sim, "--auto-approve"]),
            `Cannot read plan "${path}": it is ${described}, not a regular file; pass a plan ` +
              `saved with \`netform plan --out\``,
          );
          assert.deepEqual(await listDir(dir), before);
          assert.deepEqual(await Deno.readFile(state), good);
        });
        await t.step(`${kind} as plan --out or snapshot --out`, async () => {
          const path = join(dir, `out${n++}.json`);
          const described = await make(path);
          const target = (await Deno.lstat(path)).isSymlink ? await Deno.readLink(path) : path;
          const link = target === path ? "" : ` (a symbolic link to "${target}")`;
          const before = await listDir(dir);
          const snapshot = n % 2 === 0;
          assertRefused(
            await netform(
              snapshot
                ? ["snapshot", ...sim, "--out", path]
                : ["plan", MANIFEST, ...sim, "--out", path],
            ),
            `Cannot write the ${
              snapshot ? "snapshot" : "plan"
            } "${path}"${link}: it is ${described}, ` +
              `not a regular file; choose a path that is a regular file or does not exist yet`,
          );
          assert.deepEqual(await listDir(dir), before, "no temporary file is left");
        });
      }
      await t.step("a directory as the intent record", async () => {
        const intent = `${state}.intent.json`;
        await Deno.mkdir(intent);
        assertRefused(
          await netform(["apply", MANIFEST, ...sim, "--auto-approve"]),
          badIntent(intent, "it is a directory, not a regular file"),
        );
        assert.deepEqual(await Deno.readFile(state), good);
        await Deno.remove(intent);
      });
      await t.step("a FIFO as the pending revert", async () => {
        const pending = `${state}.pending-revert.json`;
        await run("mkfifo", pending);
        assertRefused(
          await netform(["apply", MANIFEST, ...sim, "--auto-approve"]),
          badPending(pending, "it is a named pipe (FIFO), not a regular file"),
        );
        assertRefused(
          await netform(["confirm", ...sim]),
          badPending(pending, "it is a named pipe (FIFO), not a regular file"),
        );
        assert.ok((await Deno.lstat(pending)).isFifo, "confirm put it back where it was");
        assert.deepEqual(await Deno.readFile(state), good);
        await Deno.remove(pending);
      });
      await t.step("a FIFO as the lock file", async () => {
        const lock = `${state}.lock`;
        await Deno.remove(lock);
        await run("mkfifo", lock);
        assertRefused(
          await netform(["apply", MANIFEST, ...sim, "--auto-approve"]),
          `Cannot lock the state file "${state}": the lock file "${lock}" is a named pipe ` +
            `(FIFO), not a regular file; remove it`,
        );
        assert.deepEqual(await Deno.readFile(state), good);
        await Deno.remove(lock);
      });
    } finally {
      for (const l of listeners.splice(0)) l.close();
    }
  });
});

Deno.test("a symbolic link as --state or --out is followed: the target is read and replaced, the link kept", async (t) => {
  await withTempDir(async (dir) => {
    const shared = join(dir, "shared");
    const mine = join(dir, "mine");
    await Deno.mkdir(shared);
    await Deno.mkdir(mine);
    const target = join(shared, "host.json");
    const good = await stateWithSomething(target);
    const sim = (p: string) => ["--driver", "sim", "--state", p];
    const isLinkTo = async (link: string, to: string) => {
      assert.ok((await Deno.lstat(link)).isSymlink, `${link} is still a link`);
      assert.equal(await Deno.readLink(link), to);
    };
    const converged = async () => {
      assertOk(
        await netform(["plan", MANIFEST, ...sim(target), "--detailed-exitcode"]),
        "the target has the apply's result",
      );
    };
    const reset = () => Deno.writeFile(target, good);

    await t.step("a link in another folder, relative", async () => {
      const link = join(mine, "host.json");
      await Deno.symlink("../shared/host.json", link);
      assertOk(await netform(["apply", MANIFEST, ...sim(link), "--auto-approve"]), "apply");
      await isLinkTo(link, "../shared/host.json");
      await converged();
      assert.deepEqual(await listDir(mine), ["host.json"], "lock and records are by the target");
      await Deno.remove(link);
      await reset();
    });
    await t.step("an absolute link, destroyed through", async () => {
      const link = join(mine, "abs.json");
      await Deno.symlink(target, link);
      assertOk(await netform(["destroy", OWNER, ...sim(link), "--auto-approve"]), "destroy");
      await isLinkTo(link, target);
      const after = JSON.parse(await Deno.readTextFile(target));
      assert.deepEqual(Object.keys(after.namespaces), ["root"], "the target was destroyed in");
      await Deno.remove(link);
      await reset();
    });
    await t.step("a chain of two links", async () => {
      const first = join(mine, "first.json");
      const second = join(mine, "second.json");
      await Deno.symlink(target, first);
      await Deno.symlink("first.json", second);
      assertOk(await netform(["apply", MANIFEST, ...sim(second), "--auto-approve"]), "apply");
      await isLinkTo(second, "first.json");
      await isLinkTo(first, target);
      await converged();
      await Deno.remove(first);
      await Deno.remove(second);
      await reset();
    });
    await t.step("a dangling link with --state-init creates the target", async () => {
      const link = join(mine, "new.json");
      const created = join(shared, "new.json");
      await Deno.symlink(created, link);
      assertOk(
        await netform(["apply", MANIFEST, ...sim(link), "--state-init", "--auto-approve"]),
        "apply --state-init",
      );
      await isLinkTo(link, created);
      assert.ok((await Deno.lstat(created)).isFile);
      await Deno.remove(link);
    });
    await t.step("a dangling link without --state-init is a missing file", async () => {
      const link = join(mine, "nowhere.json");
      await Deno.symlink(join(shared, "nowhere.json"), link);
      assertRefused(
        await netform(["plan", MANIFEST, ...sim(link)]),
        `Cannot open the state file "${link}": it does not exist; check the path, or pass ` +
          `--state-init to start a fresh default host in it`,
      );
      await Deno.remove(link);
    });
    await t.step("links in a loop are refused", async () => {
      const a = join(mine, "a.json");
      const b = join(mine, "b.json");
      await Deno.symlink(b, a);
      await Deno.symlink(a, b);
      assertRefused(
        await netform(["plan", MANIFEST, ...sim(a)]),
        `Cannot read the state file "${a}": its symbolic links go round in a loop (ELOOP); ` +
          `pass --state the path of a snapshot file`,
      );
      assertRefused(
        await netform(["plan", MANIFEST, ...sim(target), "--out", a]),
        `Cannot write the plan "${a}": its symbolic links go round in a loop (ELOOP); fix the links`,
      );
      await Deno.remove(a);
      await Deno.remove(b);
    });
    await t.step("two links to one state share one lock", async () => {
      const link = join(mine, "other.json");
      await Deno.symlink(target, link);
      const lock = await HostLock.acquire(`${target}.lock`, { command: "test holder" });
      try {
        const locked = await netform(["apply", MANIFEST, ...sim(link), "--auto-approve"]);
        assert.equal(locked.code, 1, locked.stderr);
        assert.match(
          locked.stderr,
          new RegExp(`another netform holds it \\(pid ${Deno.pid}, test holder`),
        );
      } finally {
        lock.release();
      }
      assert.deepEqual(await Deno.readFile(target), good);
      await Deno.remove(link);
    });
    await t.step("plan --out and snapshot --out through a link", async () => {
      const planTarget = join(shared, "plan.json");
      const planLink = join(mine, "plan.json");
      await Deno.writeTextFile(planTarget, "old\n");
      await Deno.symlink(planTarget, planLink);
      assertOk(await netform(["plan", MANIFEST, ...sim(target), "--out", planLink]), "plan --out");
      await isLinkTo(planLink, planTarget);
      assert.equal(JSON.parse(await Deno.readTextFile(planTarget)).topology, "l3s");
      assertOk(await netform(["apply", planLink, ...sim(target), "--auto-approve"]), "apply it");
      const snapLink = join(mine, "snap.json");
      const snapTarget = join(shared, "snap.json");
      await Deno.symlink(snapTarget, snapLink);
      assertOk(await netform(["snapshot", ...sim(target), "--out", snapLink]), "snapshot --out");
      await isLinkTo(snapLink, snapTarget);
      assert.equal(await Deno.readTextFile(snapTarget), await Deno.readTextFile(target));
    });
  });
});

Deno.test("a missing --state is refused by every command unless --state-init, which refuses an existing file", async (t) => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "hots.json"); // a typo of host.json
    const state = join(dir, "host.json");
    const good = await stateWithSomething(state);
    const refusal = `Cannot open the state file "${missing}": it does not exist; check the ` +
      `path, or pass --state-init to start a fresh default host in it`;
    const exists = `Cannot start a fresh state in "${state}": the file exists already; drop ` +
      `--state-init to use it, or remove it first`;
    const COMMANDS: Record<string, (state: string) => string[]> = {
      plan: (s) => ["plan", MANIFEST, "--driver", "sim", "--state", s],
      show: (s) => ["show", "--driver", "sim", "--state", s],
      apply: (s) => ["apply", MANIFEST, "--driver", "sim", "--state", s, "--auto-approve"],
      destroy: (s) => ["destroy", OWNER, "--driver", "sim", "--state", s, "--auto-approve"],
      snapshot: (s) => ["snapshot", "--driver", "sim", "--state", s],
      confirm: (s) => ["confirm", "--driver", "sim", "--state", s],
    };
    for (const [name, args] of Object.entries(COMMANDS)) {
      await t.step(`${name} on a missing file`, async () => {
        const before = await listDir(dir);
        assertRefused(await netform(args(missing)), refusal, name);
        assert.deepEqual(await listDir(dir), before, "nothing was created");
      });
      await t.step(`${name} --state-init on an existing file`, async () => {
        const before = await listDir(dir);
        assertRefused(await netform([...args(state), "--state-init"]), exists, name);
        assert.deepEqual(await Deno.readFile(state), good);
        assert.deepEqual(await listDir(dir), before);
      });
    }
    await t.step(
      "--state-init starts from the default host, and only apply writes it",
      async () => {
        const fresh = join(dir, "fresh.json");
        const shown = await netform([...COMMANDS.show!(fresh), "--state-init", "--json"]);
        assertOk(shown, "show --state-init");
        assert.deepEqual(Object.keys(JSON.parse(shown.stdout).namespaces.root.links), [
          "eth0",
          "lo",
        ]);
        const planned = await netform([...COMMANDS.plan!(fresh), "--state-init"]);
        assertOk(planned, "plan --state-init");
        assert.match(planned.stdout, /Plan: \d+ to add/);
        await assert.rejects(Deno.lstat(fresh), Deno.errors.NotFound);
        assertOk(await netform([...COMMANDS.apply!(fresh), "--state-init"]), "apply --state-init");
        assertOk(
          await netform([...COMMANDS.plan!(fresh), "--detailed-exitcode"]),
          "converged, without the flag",
        );
      },
    );
    await t.step("--state-init in a folder that does not exist", async () => {
      const nowhere = join(dir, "no", "such", "host.json");
      assertRefused(
        await netform([...COMMANDS.apply!(nowhere), "--state-init"]),
        `Cannot start a fresh state in "${nowhere}": the directory "${
          join(dir, "no", "such")
        }" does not exist; create it, or check the path`,
      );
      await assert.rejects(Deno.lstat(join(dir, "no")), Deno.errors.NotFound);
    });
    await t.step("--state-init without --state, and with the live driver", async () => {
      assertRefused(
        await netform(["plan", MANIFEST, "--driver", "sim", "--state-init"]),
        "Cannot use --state-init without --state: pass --state FILE to name the new state file",
      );
      assertRefused(
        await netform(["plan", MANIFEST, "--driver", "live", "--state-init"]),
        "Cannot use --state-init with the live driver: it reads the host itself",
      );
    });
  });
});

Deno.test("a state file that is not UTF-8 is refused; a replacement character written in it is text", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const good = await stateWithSomething(state);
    const sim = ["--driver", "sim", "--state", state];
    const text = new TextDecoder().decode(good);
    // Latin-1 "é" (one byte 0xe9) in a link's alias: not UTF-8.
    const alias = /"alias": "netform:veth-router"/;
    assert.match(text, alias);
    const [head, tail] = text.split(/"alias": "netform:veth-router"/, 2) as [string, string];
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode(`${head}"alias": "caf`),
      0xe9,
      ...new TextEncoder().encode(`"${tail}`),
    ]);
    await Deno.writeFile(state, latin1);
    assertRefused(
      await netform(["plan", MANIFEST, ...sim]),
      `Cannot read the state file "${state}": it is not UTF-8 text; pass --state the path of a ` +
        `snapshot file`,
    );
    assert.deepEqual(await Deno.readFile(state), latin1);
    // U+FFFD itself, correctly encoded, is an ordinary character.
    await Deno.writeTextFile(state, text.replace(alias, '"alias": "netform:veth-router\uFFFD"'));
    const shown = await netform(["show", ...sim, "--json"]);
    assertOk(shown, "show");
    assert.match(shown.stdout, /netform:veth-router\uFFFD/);
  });
});

Deno.test("a record that is not JSON or not of this netform's format is refused, not ignored", async (t) => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const good = await stateWithSomething(state);
    const sim = ["--driver", "sim", "--state", state];
    const intent = `${state}.intent.json`;
    const pending = `${state}.pending-revert.json`;
    const cases: { name: string; file: string; text: string; message: string }[] = [
      {
        name: "an intent record cut short",
        file: intent,
        text: JSON.stringify(intentRecord()).slice(0, 40),
        message: badIntent(
          intent,
          `not JSON (Unterminated string in JSON at position 40 (line 1 column 41))`,
        ),
      },
      {
        name: "an intent record of another format version",
        file: intent,
        text: JSON.stringify({ ...intentRecord(), formatVersion: 2 }),
        message: badIntent(intent, "$.formatVersion: Invalid input: expected 1"),
      },
      {
        name: "an intent record with a key this netform does not know",
        file: intent,
        text: JSON.stringify({ ...intentRecord(), routes: [] }),
        message: badIntent(intent, '$: Unrecognized key: "routes"'),
      },
      {
        name: "a pending revert that is empty",
        file: pending,
        text: "",
        message: badPending(pending, "not JSON (Unexpected end of JSON input)"),
      },
      {
        name: "a pending revert whose undo step is unknown",
        file: pending,
        text: JSON.stringify({ ...pendingRecord(), undo: [{ op: "host.reboot" }] }),
        message: badPending(
          pending,
          "$.undo[0].op: Invalid discriminator value. Expected 'namespace.create' | " +
            "'namespace.delete' | 'link.create' | 'link.update' | 'link.delete' | 'address.add' | " +
            "'address.delete' | 'route.add' | 'route.delete'",
        ),
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await Deno.writeTextFile(c.file, c.text);
        assertRefused(await netform(["apply", MANIFEST, ...sim, "--auto-approve"]), c.message);
        assert.equal(await Deno.readTextFile(c.file), c.text, "the record is left for the user");
        assert.deepEqual(await Deno.readFile(state), good);
        await Deno.remove(c.file);
      });
    }
  });
});
