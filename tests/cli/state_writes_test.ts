/**
 * The files netform writes, through the command line, where writing fails for
 * real: a read-only file system (a read-only bind mount in a private mount
 * namespace), no permission (root without CAP_DAC_OVERRIDE, via setpriv, in a
 * 0555 folder), an immutable file (chattr +i), a full file system (a small
 * tmpfs in a private mount namespace), a missing folder, a read-only file.
 * Each: exit 1, the exact message, no stack trace, the state file unchanged,
 * no temporary file left. Then the sweep: temporary files of killed writers
 * are removed once the lock is taken; a live writer's are kept.
 *
 * Needs root (mount namespaces, mknod, chattr); every mount lives in a
 * namespace that ends with its command, and the immutable flag is cleared in
 * a `finally`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertOk,
  assertRefused,
  listDir,
  netform,
  type Run,
  stateWithSomething,
  withTempDir,
} from "./_state_files.ts";

const MANIFEST = "examples/l3s.ts";
const NOTHING_SAVED = "; nothing was saved, the file is as it was";

/** netform in a private mount namespace, with `dir` bind-mounted read-only over itself. */
const readOnly = (dir: string) => [
  "unshare",
  "--mount",
  "--propagation",
  "private",
  "sh",
  "-c",
  'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"',
  "sh",
  dir,
];

/** netform as root without the capabilities that bypass file permissions. */
const NO_CAPABILITIES = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"];

/**
 * netform in a private mount namespace on a tmpfs of `kib` KiB mounted over
 * `dir`, holding copies of `files`; what the tmpfs held afterwards is copied
 * to `out` (`ls`: its listing; the files themselves), since it ends with the
 * namespace.
 */
const fullTmpfs = (dir: string, kib: number, files: string[], out: string) => [
  "unshare",
  "--mount",
  "--propagation",
  "private",
  "sh",
  "-c",
  `set -e; d=$1; out=$2; shift 2
   mkdir -p "$out/before"; for f in ${
    files.map((f) => `"$d/${f}"`).join(" ")
  }; do cp "$f" "$out/before/"; done
   mount -t tmpfs -o size=${kib}k tmpfs "$d"; cp "$out"/before/* "$d"/
   set +e; "$@"; rc=$?
   ls -A "$d" > "$out/ls"; cp "$d"/* "$out/" 2>/dev/null; exit $rc`,
  "sh",
  dir,
  out,
];

interface WriteCase {
  name: string;
  /** Prepares the folder (as root, with every capability); returns the run's wrapper. */
  setup: (f: Folder) => Promise<string[] | undefined>;
  args: (f: Folder) => string[];
  message: (f: Folder) => string;
  /** Files that must be what they were before (default: the state file). */
  unchanged?: (f: Folder) => string[];
  /** What the folder must list afterwards, when not what it listed before. */
  after?: (f: Folder, run: Run) => Promise<void>;
  cleanup?: (f: Folder) => Promise<void>;
}

interface Folder {
  dir: string;
  state: string;
  sim: string[];
  /** For tmpfs cases: where the namespace copies what the tmpfs held. */
  out: string;
}

const run = async (cmd: string, ...args: string[]) => {
  const out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  assert.equal(out.code, 0, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
};

const CASES: WriteCase[] = [
  {
    name: "apply on a read-only file system (EROFS): the lock file cannot be opened",
    setup: (f) => Promise.resolve(readOnly(f.dir)),
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) =>
      `Cannot lock the state file "${f.state}": the lock file "${f.state}.lock" cannot be ` +
      `created or opened: "${f.dir}" is on a read-only file system (EROFS); remount it ` +
      `read-write, or choose another path`,
  },
  {
    name: "plan --out onto a read-only file system (EROFS)",
    setup: (f) => Promise.resolve(readOnly(f.dir)),
    args: (f) => ["plan", MANIFEST, ...f.sim, "--out", join(f.dir, "plan.json")],
    message: (f) =>
      `Cannot write the plan "${join(f.dir, "plan.json")}": "${f.dir}" is on a read-only file ` +
      `system (EROFS); remount it read-write, or choose another path`,
  },
  {
    name: "apply in a folder without write permission (EACCES): the intent record",
    setup: async (f) => {
      await Deno.chmod(f.dir, 0o555);
      return NO_CAPABILITIES;
    },
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) =>
      `Cannot write the intent record "${f.state}.intent.json": permission denied in ` +
      `"${f.dir}" (EACCES); make it writable for this user, or choose another path`,
    cleanup: (f) => Deno.chmod(f.dir, 0o700),
  },
  {
    name: "snapshot --out in a folder without write permission (EACCES)",
    setup: async (f) => {
      await Deno.chmod(f.dir, 0o555);
      return NO_CAPABILITIES;
    },
    args: (f) => ["snapshot", ...f.sim, "--out", join(f.dir, "snap.json")],
    message: (f) =>
      `Cannot write the snapshot "${join(f.dir, "snap.json")}": permission denied in ` +
      `"${f.dir}" (EACCES); make it writable for this user, or choose another path`,
    cleanup: (f) => Deno.chmod(f.dir, 0o700),
  },
  {
    name: "apply to an immutable state file (chattr +i, EPERM): refused when it is saved",
    setup: async (f) => {
      await run("chattr", "+i", f.state);
      return undefined;
    },
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) =>
      `Cannot write the state file "${f.state}": the operation is not permitted in ` +
      `"${f.dir}" (EPERM): the file or the directory may be immutable or append-only (see ` +
      `lsattr); clear the flag (chattr -i), or choose another path${NOTHING_SAVED}`,
    cleanup: (f) => run("chattr", "-i", f.state),
  },
  {
    name: "apply to a state file with no write permission (mode 0444): refused before planning",
    setup: async (f) => {
      await Deno.chmod(f.state, 0o444);
      return undefined;
    },
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) =>
      `Cannot write the state file "${f.state}": it is read-only (mode 0444); make it ` +
      `writable (chmod u+w "${f.state}"), or choose another path`,
    after: async (f, result) => {
      assert.doesNotMatch(result.stdout, /done:/, "refused before any step");
      // Reading it is still fine: plan changes nothing.
      assertOk(await netform(["plan", MANIFEST, ...f.sim]), "plan on a read-only state file");
    },
    cleanup: (f) => Deno.chmod(f.state, 0o644),
  },
  {
    name: "apply on a full file system (ENOSPC): the state file",
    // host.json (2 pages) + its lock (1) + the intent record (1): no room for the new state.
    setup: (f) => Promise.resolve(fullTmpfs(f.dir, 16, ["host.json", "host.json.lock"], f.out)),
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) =>
      `Cannot write the state file "${f.state}": no space left on the device of "${f.dir}" ` +
      `(ENOSPC); free some space, or choose another path${NOTHING_SAVED}`,
    after: async (f) => {
      assert.equal(await Deno.readTextFile(join(f.out, "ls")), "host.json\nhost.json.lock\n");
      assert.deepEqual(
        await Deno.readFile(join(f.out, "host.json")),
        await Deno.readFile(join(f.out, "before", "host.json")),
      );
    },
  },
  {
    name: "apply on a full file system (ENOSPC): the intent record",
    setup: (f) => Promise.resolve(fullTmpfs(f.dir, 12, ["host.json", "host.json.lock"], f.out)),
    args: (f) => ["apply", MANIFEST, ...f.sim, "--auto-approve"],
    message: (f) =>
      `Cannot write the intent record "${f.state}.intent.json": no space left on the device ` +
      `of "${f.dir}" (ENOSPC); free some space, or choose another path`,
    after: async (f) => {
      assert.equal(await Deno.readTextFile(join(f.out, "ls")), "host.json\nhost.json.lock\n");
    },
  },
  {
    name: "plan --out into a folder that does not exist",
    setup: () => Promise.resolve(undefined),
    args: (f) => ["plan", MANIFEST, ...f.sim, "--out", join(f.dir, "no", "plan.json")],
    message: (f) =>
      `Cannot write the plan "${join(f.dir, "no", "plan.json")}": the directory ` +
      `"${join(f.dir, "no")}" does not exist; create it, or check the path`,
  },
  {
    name: "snapshot --out through a file used as a folder (ENOTDIR)",
    setup: () => Promise.resolve(undefined),
    args: (f) => ["snapshot", ...f.sim, "--out", join(f.state, "snap.json")],
    message: (f) =>
      `Cannot write the snapshot "${join(f.state, "snap.json")}": a part of the path ` +
      `"${f.state}" is not a directory (ENOTDIR); check the path`,
  },
];

Deno.test("a write that fails names the file, the reason and the fix, and leaves the state and the folder as they were", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      await withTempDir(async (top) => {
        const dir = join(top, "host");
        await Deno.mkdir(dir);
        const out = join(top, "out");
        await Deno.mkdir(out);
        const state = join(dir, "host.json");
        const f: Folder = { dir, state, sim: ["--driver", "sim", "--state", state], out };
        await stateWithSomething(state);
        const files = c.unchanged?.(f) ?? [state];
        const before = await Promise.all(files.map((p) => Deno.readFile(p)));
        const listed = await listDir(dir);
        const wrap = await c.setup(f);
        try {
          const result = await netform(c.args(f), wrap ? { wrap } : {});
          assertRefused(result, c.message(f), c.name);
          assert.deepEqual(await listDir(dir), listed, "no file added (no temporary file left)");
          for (const [i, p] of files.entries()) {
            assert.deepEqual(await Deno.readFile(p), before[i], `${p} changed`);
          }
          await c.after?.(f, result);
        } finally {
          await c.cleanup?.(f);
        }
      });
    });
  }
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("temporary files of killed writers are removed once the lock is taken; a live writer's and other names are kept", async (t) => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    const sim = ["--driver", "sim", "--state", state];
    await stateWithSomething(state);

    // A writer killed in the middle of writing the state file: its own pid, its own bytes.
    const writer = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = await Deno.open(${JSON.stringify(state)} + "." + Deno.pid + ".tmp",
           { write: true, createNew: true });
         await f.write(new TextEncoder().encode('{"formatVersion": 1, "mac'));
         console.log("written");
         setInterval(() => {}, 1000);`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = writer.stdout.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /written/);
    writer.kill("SIGKILL");
    await writer.status;
    reader.releaseLock();
    await writer.stdout.cancel();

    const live = new Deno.Command("sleep", { args: ["120"] }).spawn();
    try {
      const dead = await deadPid();
      const files: { what: string; name: string; removed: boolean; directory?: boolean }[] = [
        {
          what: "the state file's, of a writer SIGKILLed mid-write",
          name: `host.json.${writer.pid}.tmp`,
          removed: true,
        },
        {
          what: "the intent record's, of a dead pid",
          name: `host.json.intent.json.${dead}.tmp`,
          removed: true,
        },
        {
          what: "the pending revert's, of a dead pid",
          name: `host.json.pending-revert.json.${dead}.tmp`,
          removed: true,
        },
        {
          what: "the state file's, of a live pid",
          name: `host.json.${live.pid}.tmp`,
          removed: false,
        },
        {
          what: "the intent record's, of a live pid",
          name: `host.json.intent.json.${live.pid}.tmp`,
          removed: false,
        },
        { what: "a copy of a dead pid's", name: `host.json.${dead}.tmp.bak`, removed: false },
        { what: "a name with no pid", name: `host.json.x${dead}.tmp`, removed: false },
        { what: "another file's, of a dead pid", name: `other.json.${dead}.tmp`, removed: false },
        {
          what: "a directory named as a dead pid's",
          name: `host.json.${dead}.tmp`,
          removed: false,
          directory: true,
        },
      ];
      for (const file of files.slice(1)) {
        const path = join(dir, file.name);
        if (file.directory) await Deno.mkdir(path);
        else await Deno.writeTextFile(path, "partial");
      }
      const all = await listDir(dir);

      assertOk(await netform(["plan", MANIFEST, ...sim]), "plan");
      assert.deepEqual(await listDir(dir), all, "plan takes no lock and removes nothing");

      assertOk(await netform(["apply", MANIFEST, ...sim, "--auto-approve"]), "apply");
      const left = await listDir(dir);
      for (const file of files) {
        await t.step(
          `${file.what} (${file.name.replaceAll(/\d{2,}/g, "<pid>")}) is ${
            file.removed ? "removed" : "kept"
          }`,
          () => assert.equal(left.includes(file.name), !file.removed, left.join("\n")),
        );
      }

      await t.step(
        "plan --out removes a dead writer's temporary plan and keeps a live one's",
        async () => {
          const plan = join(dir, "plan.json");
          await Deno.writeTextFile(`${plan}.${dead}.tmp`, "partial");
          await Deno.writeTextFile(`${plan}.${live.pid}.tmp`, "partial");
          assertOk(await netform(["plan", MANIFEST, ...sim, "--out", plan]), "plan --out");
          const now = await listDir(dir);
          assert.ok(!now.includes(`plan.json.${dead}.tmp`), now.join("\n"));
          assert.ok(now.includes(`plan.json.${live.pid}.tmp`), now.join("\n"));
        },
      );
    } finally {
      live.kill("SIGKILL");
      await live.status;
    }
  });
});

Deno.test("a rewritten state file keeps its mode and its owner", async () => {
  await withTempDir(async (dir) => {
    const state = join(dir, "host.json");
    await stateWithSomething(state);
    await Deno.chmod(state, 0o640);
    await Deno.chown(state, 4321, 4322);
    assertOk(
      await netform(["apply", MANIFEST, "--driver", "sim", "--state", state, "--auto-approve"]),
      "apply",
    );
    const info = await Deno.stat(state);
    assert.equal(info.mode! & 0o7777, 0o640);
    assert.equal(info.uid, 4321);
    assert.equal(info.gid, 4322);
    assert.match(await Deno.readTextFile(state), /"ns0"/, "and it was rewritten");
  });
});
