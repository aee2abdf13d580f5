/**
 * The hostile-manifest corpus (tests/testdata/hostile/, each file says what it
 * attempts), run through the command line as an operator would run it:
 * `netform apply <manifest> --driver sim --state host.json --auto-approve`.
 * Every manifest must be refused with its intended message and a hint, the
 * state file must be byte-identical afterwards, and no process of the
 * evaluation may outlive the command.
 *
 * Cases marked `live` also run `netform plan <manifest> --driver live` in a
 * process without FFI permission: the live driver reaches the kernel only
 * through FFI, so getting the manifest's error (and not a permission error)
 * shows that the manifest is refused before any kernel access.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CORPUS = fileURLToPath(new URL("../testdata/hostile/", import.meta.url));
/** Short limits, so the corpus runs quickly; the defaults are 10 s and 512 MiB. */
const LIMITS = { NETFORM_MANIFEST_TIMEOUT: "2", NETFORM_MANIFEST_MEMORY: "128" };

interface Case {
  file: string;
  /** The intended message (the first line after the file name). */
  message: RegExp;
  /** Also refused before any kernel access with the live driver. */
  live?: boolean;
  /** The hint under the message, when it says more than the message. */
  hint?: RegExp;
  /** Limits other than {@linkcode LIMITS}. */
  env?: Record<string, string>;
}

const TIMEOUT = /The manifest did not finish within 2 s/;
const MEMORY = /The manifest used more than 128 MiB of memory/;
const PLAIN = /a manifest must export plain data/;
const SLOW = /look for a loop that never ends .*--manifest-timeout/;
const GREEDY = /look for a loop that allocates without end.*--manifest-memory/;
const CONFINED = /manifests may only read their own folder \(".*hostile"\)/;

function wasmOff(detail: RegExp): RegExp {
  return new RegExp(
    `The manifest was refused: WebAssembly is switched off in the sandbox \\(.*${detail.source}`,
  );
}

const CASES: Case[] = [
  // Time
  { file: "loop_forever.ts", message: TIMEOUT, hint: SLOW, live: true },
  { file: "timer_forever.ts", message: TIMEOUT, hint: SLOW },
  { file: "atomics_wait.ts", message: TIMEOUT, hint: SLOW },
  // The memory watch thread keeps the event loop alive, so Deno cannot see the stalled
  // top-level await; the time limit ends it.
  { file: "await_never_settles.ts", message: TIMEOUT, hint: SLOW, live: true },
  // Memory
  { file: "heap_bomb.ts", message: MEMORY, hint: GREEDY, live: true },
  { file: "arraybuffer_bomb.ts", message: MEMORY, hint: GREEDY },
  { file: "node_worker_threads.ts", message: MEMORY, hint: GREEDY },
  { file: "microtask_loop.ts", message: MEMORY, hint: GREEDY },
  {
    file: "string_doubling.ts",
    message: /failed while loading: RangeError: Invalid string length/,
  },
  { file: "stack_overflow.ts", message: /failed while loading: RangeError: Maximum call stack/ },
  {
    file: "huge_export.ts",
    message: /default export is larger than 16 MiB as JSON/,
    live: true,
    env: { NETFORM_MANIFEST_MEMORY: "512" },
  },
  // What the export is made of
  {
    file: "deep_nesting.ts",
    message: /inner: Found data nested deeper than 32 levels/,
    hint: PLAIN,
  },
  { file: "getter_export.ts", message: /name: Found a getter or setter/, hint: PLAIN },
  { file: "getter_loops.ts", message: /namespaces\.root: Found a getter or setter/, hint: PLAIN },
  { file: "proxy_export.ts", message: /Found a Proxy/, hint: PLAIN, live: true },
  { file: "tojson_export.ts", message: /toJSON: Found a function \("toJSON"\)/, hint: PLAIN },
  { file: "to_primitive.ts", message: /Found an object with symbol keys/, hint: PLAIN },
  { file: "class_instance.ts", message: /namespaces: Found an instance of class Map/, hint: PLAIN },
  { file: "prototype_pollution.ts", message: /namespaces: Missing required key "namespaces"/ },
  { file: "proto_key.ts", message: /__proto__: Unknown key "__proto__"/ },
  // Imports
  {
    file: "import_remote_static.ts",
    message: /may not import remote modules: it imports "https:\/\/deno\.land\/std@0\.224\.0/,
  },
  {
    file: "import_remote_dynamic.ts",
    message: /may not import remote modules: it imports from "example\.com:443"/,
  },
  {
    file: "import_jsr.ts",
    message: /may not import remote modules: it imports "https:\/\/jsr\.io/,
  },
  { file: "import_npm.ts", message: /may not import npm packages/, live: true },
  { file: "import_data_url.ts", message: /Requires read access to "\/etc\/hostname"/ },
  { file: "import_blob_url.ts", message: /Requires net access to "127\.0\.0\.1:9"/ },
  { file: "import_parent_dir.ts", message: /Requires read access to ".*\/deno\.json"/ },
  { file: "import_absolute.ts", message: /Requires read access to "\/etc\/passwd"/ },
  {
    file: "import_symlink_file.ts",
    message:
      /hostile\/outside\.json" is a symbolic link to ".*\/deno\.json", outside the manifest's folder/,
    live: true,
  },
  {
    file: "read_symlink_dir.ts",
    message:
      /hostile\/outside_dir" is a symbolic link to ".*\/testdata\/manifests", outside the manifest's folder/,
  },
  // Files, environment, system
  {
    file: "read_etc_passwd.ts",
    message: /Requires read access to "\/etc\/passwd"/,
    hint: CONFINED,
  },
  {
    file: "read_proc_environ.ts",
    message: /Requires read access to "\/proc\/self\/environ"/,
    hint: CONFINED,
  },
  { file: "read_env.ts", message: /Requires env access to "HOME"/, hint: CONFINED },
  { file: "read_process_env.ts", message: /Requires env access to "PATH"/ },
  { file: "hostname_sys.ts", message: /Requires sys access to "hostname"/ },
  {
    file: "write_file.ts",
    message: /Requires write access to ".*hostile\/pwned\.txt"/,
    hint: CONFINED,
  },
  { file: "remove_self.ts", message: /Requires write access to ".*hostile\/remove_self\.ts"/ },
  // Native code, programs, processes
  { file: "dlopen_libc.ts", message: /Requires ffi access to "libc\.so\.6"/, live: true },
  { file: "run_command.ts", message: /Requires run access to "id"/, live: true },
  // node:child_process reads the environment before it spawns.
  { file: "node_child_process.ts", message: /denied an operation: Requires env access/ },
  { file: "kill_process.ts", message: /denied an operation: Requires run access/ },
  // WebAssembly: off in every realm (--jitless), and no module with code compiles.
  { file: "webassembly.ts", message: wasmOff(/ReferenceError: WebAssembly is not defined/) },
  { file: "wasm_import.ts", message: wasmOff(/Failed to compile Wasm module '.*\/add\.wasm'/) },
  {
    file: "wasm_import_source.ts",
    message: wasmOff(/Failed to compile Wasm module '.*\/add\.wasm'/),
  },
  { file: "wasm_data_url.ts", message: wasmOff(/Failed to compile Wasm module 'data:/) },
  { file: "wasm_node_vm.ts", message: wasmOff(/ReferenceError: WebAssembly is not defined/) },
  {
    file: "wasm_function_constructor.ts",
    message: wasmOff(/ReferenceError: WebAssembly is not defined/),
  },
  {
    file: "wasm_worker_threads.ts",
    message: wasmOff(/ReferenceError: WebAssembly is not defined/),
  },
  { file: "wasm_set_flags.ts", message: wasmOff(/ReferenceError: WebAssembly is not defined/) },
  {
    file: "wasm_node_wasi.ts",
    message: wasmOff(/Failed to compile Wasm module '.*\/add\.wasm'/),
  },
  {
    file: "wasm_tiny_module.ts",
    message:
      /failed while loading: Error: compiled a WebAssembly\.Module but found no way to instantiate it/,
  },
  {
    file: "wasm_shadow_realm.ts",
    message: /failed while loading: TypeError: globalThis\.ShadowRealm is not a constructor/,
  },
  {
    file: "wasm_bytes_import.ts",
    message: /failed while loading: TypeError: The import attribute type of "bytes" is unsupported/,
  },
  {
    file: "nested_worker.ts",
    message: /The manifest was refused: Manifests may not start workers/,
  },
  // Network
  { file: "fetch_url.ts", message: /Requires net access to "127\.0\.0\.1:8080"/, live: true },
  { file: "connect_tcp.ts", message: /Requires net access to "127\.0\.0\.1:9"/, hint: CONFINED },
  { file: "listen_tcp.ts", message: /Requires net access to "0\.0\.0\.0:0"/ },
  // The evaluation itself
  { file: "deno_exit.ts", message: /ended its process \(exit code 0\) before it exported/ },
  { file: "forged_reply.ts", message: /ended its process \(exit code 0\) before it exported/ },
  // Forging the answer from inside: each export is refused for what it really is (the
  // forgery would make it pass, or answer a valid topology that changes the state).
  { file: "forge_stdout_write.ts", message: /- Found a function \("topology"\)/, hint: PLAIN },
  { file: "forge_text_encoder.ts", message: /extra: Found a function \("extra"\)/, hint: PLAIN },
  { file: "forge_json_stringify.ts", message: /name: Found a getter or setter/, hint: PLAIN },
  { file: "forge_to_json.ts", message: /namespaces\.ns9\.links\.d0\.up: Found a function/ },
  { file: "forge_promise_then.ts", message: /- Found a function \("topology"\)/, live: true },
  { file: "forge_array_push.ts", message: /namespaces\.ns1\.links\.d0\.up: Found a function/ },
  { file: "forge_subarray_species.ts", message: /run: Found a function \("run"\)/ },
  { file: "forge_typed_array_length.ts", message: /run: Found a function \("run"\)/ },
  { file: "forge_descriptor_fields.ts", message: /name: Found a getter or setter/ },
  { file: "forge_reflection.ts", message: /namespaces\.ns1\.links\.d0\.up: Found a function/ },
  {
    file: "forge_string_number.ts",
    message: /namespaces\.ns1\.routes\.extra: Found an array with named keys/,
  },
  { file: "forge_define_property.ts", message: /later: Found a function \("later"\)/ },
  { file: "forge_exit_unload.ts", message: /later: Found a function \("later"\)/ },
  { file: "forge_console.ts", message: /later: Found a function \("later"\)/ },
  { file: "forge_core_ops.ts", message: /later: Found a function \("later"\)/ },
  {
    file: "forge_heap_snapshot.ts",
    message: /later: Found a function \("later"\)/,
    // A heap snapshot takes about 1 s and more than 128 MiB here.
    env: { NETFORM_MANIFEST_TIMEOUT: "10", NETFORM_MANIFEST_MEMORY: "512" },
  },
  // The getters run inside Deno, which reads the thrown value; what they print is no answer.
  { file: "forge_thrown_getters.ts", message: /failed while loading: Error: harmless/ },
  { file: "throws_later.ts", message: /failed while loading: Uncaught Error: thrown from a timer/ },
];

interface Run {
  code: number;
  stderr: string;
}

/** Where netform runs from: its copy (`root`, holding mod.ts) and the working directory. */
interface Place {
  root: string;
  cwd: string;
}

async function netform(
  args: string[],
  permissions: string[],
  env: Record<string, string> = {},
  place: Place = { root: REPO_ROOT, cwd: REPO_ROOT },
): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, `${place.root}mod.ts`, ...args],
    cwd: place.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { ...LIMITS, ...env, NO_COLOR: "1" },
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

/** Asserts the refusal: exit 1, the file named, the intended message, and a hint under it. */
function assertRefused(run: Run, file: string, message: RegExp, hint?: RegExp): void {
  const shown = `exit ${run.code}\n${run.stderr}`;
  assert.equal(run.code, 1, shown);
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines[0], `Error: Invalid manifest "${file}":`, shown);
  assert.match(lines[1] ?? "", /^ {2}- /, shown);
  assert.match(lines[1] ?? "", message, shown);
  assert.match(lines[2] ?? "", /^ {4}\S/, `no hint under the message\n${shown}`);
  if (hint) assert.match(lines[2] ?? "", hint, shown);
}

/** Processes whose command line mentions `file` (an evaluation that outlived its command). */
function processesMentioning(file: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(file)) pids.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

Deno.test("the hostile corpus has at least 30 manifests, each saying what it attempts", () => {
  const files = [...Deno.readDirSync(CORPUS)].filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => e.name).sort();
  assert.ok(files.length >= 30, `only ${files.length} manifests`);
  assert.deepEqual(files, CASES.map((c) => c.file).sort(), "every manifest has a case, and back");
  for (const name of files) {
    assert.match(Deno.readTextFileSync(CORPUS + name), /^\/\/ Attempts: \S/, name);
  }
});

Deno.test("every hostile manifest is refused with its message and changes nothing", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "netform_hostile_" });
  try {
    const state = `${dir}/host.json`;
    const sim = ["--driver", "sim", "--state", state];
    const simPermissions = ["--allow-read", "--allow-write", "--allow-run", "--allow-env"];
    // A host with something on it, so any accepted manifest would change the file.
    const setup = await netform(
      ["apply", "examples/veth_router.ts", ...sim, "--state-init", "--auto-approve"],
      simPermissions,
    );
    assert.equal(setup.code, 0, setup.stderr);
    const before = await Deno.readFile(state);

    for (const c of CASES) {
      await t.step(c.file, async () => {
        const file = CORPUS + c.file;
        const run = await netform(
          ["apply", file, ...sim, "--auto-approve"],
          simPermissions,
          c.env,
        );
        assertRefused(run, file, c.message, c.hint);
        assert.deepEqual(await Deno.readFile(state), before, "the state file changed");
        assert.deepEqual(processesMentioning(file), [], "the evaluation outlived the command");
        if (c.live) {
          // No --allow-ffi and no --allow-write: the live driver cannot reach the kernel.
          const live = await netform(
            ["plan", file, "--driver", "live"],
            ["--allow-read", "--allow-run", "--allow-env"],
            c.env,
          );
          assertRefused(live, file, c.message, c.hint);
          assert.doesNotMatch(live.stderr, /--allow-ffi/);
        }
      });
    }
    await t.step("nothing was written into the corpus", async () => {
      await assert.rejects(Deno.stat(CORPUS + "pwned.txt"), Deno.errors.NotFound);
      await Deno.stat(CORPUS + "remove_self.ts");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A file outside the manifest's folder; the manifests below try to read it. */
const SECRET = "the-secret-the-sandbox-must-not-read";

/** A manifest that reads `specifier` (relative to it) and puts what it read in its topology's name. */
const READER = (specifier: string) =>
  `import data from ${JSON.stringify(specifier)} with { type: "json" };
export default { name: "read-" + data.name, namespaces: { ns9: {} } };
`;

interface PathCase {
  name: string;
  /** Lays out the case under `dir` (which holds secret.json) and returns the manifest to run. */
  setup(dir: string): Promise<{ manifest: string; place?: Place }>;
  message: RegExp;
  hint: RegExp;
}

/** Runs `script` in `dir` with bash, which can make names that are not valid UTF-8 (`\xff`). */
async function shell(dir: string, script: string): Promise<void> {
  const done = await new Deno.Command("bash", { args: ["-c", script], cwd: dir }).output();
  assert.equal(done.code, 0, new TextDecoder().decode(done.stderr));
}

async function writeManifest(folder: string, specifier: string): Promise<string> {
  await Deno.mkdir(folder, { recursive: true });
  await Deno.writeTextFile(`${folder}/m.ts`, READER(specifier));
  return `${folder}/m.ts`;
}

const COMMA_FOLDER = /rename or move the folder so that its path has no comma/;
const COMMA_LINK = /rename the link .* so that its path has no comma, or remove it/;

const PATH_CASES: PathCase[] = [
  {
    // --allow-read=<dir>/m,.. would allow "..", resolved against the working directory <dir>/work.
    name: 'a manifest folder named "m,.."',
    setup: async (dir) => {
      await Deno.mkdir(`${dir}/work`);
      const manifest = await writeManifest(`${dir}/m,..`, `${dir}/secret.json`);
      return { manifest, place: { root: REPO_ROOT, cwd: `${dir}/work` } };
    },
    message: /Cannot confine the manifest to its folder ".*\/m,\.\.": the path has a comma/,
    hint: COMMA_FOLDER,
  },
  {
    // <dir>/m,<dir> is the folder "<dir>" inside "<dir>/m,": the flag would allow "<dir>/m" and "<dir>".
    name: "a folder whose path splits into one of its ancestors",
    setup: async (dir) => ({
      manifest: await writeManifest(`${dir}/m,${dir}`, `${dir}/secret.json`),
    }),
    message: /Cannot confine the manifest to its folder ".*\/m,\/.*": the path has a comma/,
    hint: COMMA_FOLDER,
  },
  {
    name: "a link to a manifest in a folder with a comma",
    setup: async (dir) => {
      await writeManifest(`${dir}/real,dir`, `${dir}/secret.json`);
      await Deno.mkdir(`${dir}/plain`);
      await Deno.symlink(`${dir}/real,dir/m.ts`, `${dir}/plain/m.ts`);
      return { manifest: `${dir}/plain/m.ts` };
    },
    message: /to its folder ".*\/real,dir": the path has a comma/,
    hint: COMMA_FOLDER,
  },
  {
    // --deny-read=<m>/x,y.json would deny "<m>/x" and "y.json", not the link.
    name: 'a link named "x,y.json" to a file outside',
    setup: async (dir) => {
      const manifest = await writeManifest(`${dir}/m`, "./x,y.json");
      await Deno.symlink(`${dir}/secret.json`, `${dir}/m/x,y.json`);
      return { manifest };
    },
    message:
      /the symbolic link ".*\/m\/x,y\.json" in its folder must be denied, but its path has a comma/,
    hint: COMMA_LINK,
  },
  {
    name: "a link to a file outside, in a nested folder with a comma",
    setup: async (dir) => {
      const manifest = await writeManifest(`${dir}/m`, "./sub,dir/key.json");
      await Deno.mkdir(`${dir}/m/sub,dir`);
      await Deno.symlink(`${dir}/secret.json`, `${dir}/m/sub,dir/key.json`);
      return { manifest };
    },
    message: /the symbolic link ".*\/m\/sub,dir\/key\.json" in its folder must be denied/,
    hint: COMMA_LINK,
  },
  {
    name: "a link to a directory, with a comma",
    setup: async (dir) => {
      await Deno.mkdir(`${dir}/vault`);
      await Deno.copyFile(`${dir}/secret.json`, `${dir}/vault/secret.json`);
      const manifest = await writeManifest(`${dir}/m`, "./vault,x/secret.json");
      await Deno.symlink(`${dir}/vault`, `${dir}/m/vault,x`);
      return { manifest };
    },
    message:
      /the symbolic link ".*\/m\/vault,x" in its folder must be denied, but its path has a comma/,
    hint: COMMA_LINK,
  },
  {
    // It leads nowhere now; whatever appears there later is outside the folder.
    name: "a dangling link with a comma",
    setup: async (dir) => {
      const manifest = await writeManifest(`${dir}/m`, "./later,x.json");
      await Deno.symlink(`${dir}/later.json`, `${dir}/m/later,x.json`);
      return { manifest };
    },
    message: /the symbolic link ".*\/m\/later,x\.json" in its folder must be denied/,
    hint: COMMA_LINK,
  },
  {
    name: "netform installed in a folder with a comma",
    setup: async (dir) => {
      const root = `${dir}/net,form/`;
      await Deno.mkdir(root);
      for (const file of ["mod.ts", "deno.json", "deno.lock"]) {
        await Deno.copyFile(`${REPO_ROOT}${file}`, `${root}${file}`);
      }
      await copyTree(`${REPO_ROOT}src`, `${root}src`);
      // The flag for <dir>/net,form/src/ would allow "<dir>/net".
      await Deno.mkdir(`${dir}/net`);
      await Deno.copyFile(`${dir}/secret.json`, `${dir}/net/secret.json`);
      const manifest = await writeManifest(`${dir}/m`, `${dir}/net/secret.json`);
      return { manifest, place: { root, cwd: root } };
    },
    message: /netform's own path ".*\/net,form\/(mod\.ts|src\/)" has a comma/,
    hint: /install or copy netform into a folder whose path has no comma/,
  },
  {
    // Deno lists the name with U+FFFD, a path that does not exist; "./l%FF.json" reaches the link.
    name: "a link whose name is not valid UTF-8",
    setup: async (dir) => {
      const manifest = await writeManifest(`${dir}/m`, "./l%FF.json");
      await shell(`${dir}/m`, `ln -s "${dir}/secret.json" "$(printf 'l\\xff.json')"`);
      return { manifest };
    },
    message:
      /the symbolic link ".*\/m\/l\uFFFD\.json" in its folder must be denied, but its path is not valid UTF-8/,
    hint: /rename the link .* so that its path is valid UTF-8, or remove it/,
  },
  {
    name: "a folder whose name is not valid UTF-8, holding a link that leads out",
    setup: async (dir) => {
      const manifest = await writeManifest(`${dir}/m`, "./d%FF/key.json");
      await shell(
        `${dir}/m`,
        `mkdir "$(printf 'd\\xff')" && ln -s "${dir}/secret.json" "$(printf 'd\\xff')/key.json"`,
      );
      return { manifest };
    },
    message: /the path of the folder ".*\/m\/d\uFFFD" inside its folder is not valid UTF-8/,
    hint: /rename it so that its name is valid UTF-8, or move it out of the manifest's folder/,
  },
];

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

Deno.test("paths Deno's permission flags cannot carry are refused before the manifest runs", async (t) => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "netform_paths_" }));
  try {
    const state = `${dir}/host.json`;
    const sim = ["--driver", "sim", "--state", state];
    const simPermissions = ["--allow-read", "--allow-write", "--allow-run", "--allow-env"];
    const setup = await netform(
      ["apply", "examples/veth_router.ts", ...sim, "--state-init", "--auto-approve"],
      simPermissions,
    );
    assert.equal(setup.code, 0, setup.stderr);
    const before = await Deno.readFile(state);
    for (const c of PATH_CASES) {
      await t.step(c.name, async () => {
        const caseDir = await Deno.makeTempDir({ dir, prefix: "case_" });
        try {
          await Deno.writeTextFile(`${caseDir}/secret.json`, JSON.stringify({ name: SECRET }));
          const { manifest, place } = await c.setup(caseDir);
          const run = await netform(
            ["apply", manifest, ...sim, "--auto-approve"],
            simPermissions,
            {},
            place,
          );
          assertRefused(run, manifest, c.message, c.hint);
          assert.doesNotMatch(run.stderr, new RegExp(SECRET), "the secret was read");
          assert.deepEqual(await Deno.readFile(state), before, "the state file changed");
          assert.deepEqual(
            processesMentioning(manifest),
            [],
            "the evaluation outlived the command",
          );
        } finally {
          await Deno.remove(caseDir, { recursive: true });
        }
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
