import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { ManifestError } from "../../src/errors.ts";
import { deniedLinks, InexpressiblePathError } from "../../src/manifest/folder_links.ts";
import { parseMemory, parseTimeout } from "../../src/manifest/limits.ts";
import { loadManifest } from "../../src/manifest/load.ts";
import { evaluateInSandbox, type SandboxOutcome } from "../../src/manifest/sandbox.ts";
import { outcomeIssue } from "../../src/manifest/sandbox_issues.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "netform_sandbox_test_" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A manifest whose topology name is read from `file` (relative to the manifest). */
function readingManifest(file: string): string {
  return `const data = JSON.parse(Deno.readTextFileSync(new URL(${
    JSON.stringify(file)
  }, import.meta.url)));
export default { name: data.name, namespaces: {} };
`;
}

async function refusal(file: string, options = {}): Promise<ManifestError> {
  const error = await loadManifest(file, options).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ManifestError, `expected a ManifestError, got ${error}`);
  return error;
}

Deno.test("deniedLinks lists links that leave the folder, lead to a directory or nowhere", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/m/sub`, { recursive: true });
    await Deno.mkdir(`${dir}/secret`);
    await Deno.writeTextFile(`${dir}/secret/key.json`, "{}");
    await Deno.writeTextFile(`${dir}/m/data.json`, "{}");
    await Deno.symlink("data.json", `${dir}/m/alias.json`); // inside, a file: allowed
    await Deno.symlink("../secret/key.json", `${dir}/m/key.json`); // outside
    await Deno.symlink("sub", `${dir}/m/subdir`); // a directory, even inside
    await Deno.symlink("missing.json", `${dir}/m/sub/dangling.json`); // nowhere
    await Deno.symlink("key.json", `${dir}/m/sub/chain.json`); // missing here: dangling too
    await Deno.symlink("../key.json", `${dir}/m/sub/via_link.json`); // a link to a link that leaves
    const denied = await deniedLinks(`${dir}/m`);
    assert.deepEqual(
      denied.map((l) => [l.path.slice(dir.length + 1), l.why]),
      [
        ["m/key.json", "outside"],
        ["m/sub/chain.json", "dangling"],
        ["m/sub/dangling.json", "dangling"],
        ["m/sub/via_link.json", "outside"],
        ["m/subdir", "directory"],
      ],
    );
  });
});

Deno.test("deniedLinks gives up on a folder with too many entries", async () => {
  await withTempDir(async (dir) => {
    for (let i = 0; i < 12; i++) await Deno.writeTextFile(`${dir}/f${i}`, "");
    await assert.rejects(deniedLinks(dir, { maxEntries: 10 }), /more than 10 entries/);
  });
});

Deno.test("a manifest reads its own folder, also through a link that stays inside it", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/data.json`, JSON.stringify({ name: "from-data" }));
    await Deno.symlink("data.json", `${dir}/alias.json`);
    await Deno.writeTextFile(`${dir}/direct.ts`, readingManifest("./data.json"));
    await Deno.writeTextFile(`${dir}/linked.ts`, readingManifest("./alias.json"));
    assert.equal((await loadManifest(`${dir}/direct.ts`)).name, "from-data");
    assert.equal((await loadManifest(`${dir}/linked.ts`)).name, "from-data");
  });
});

Deno.test("a manifest reached through a link may read the folder it really lives in", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/data.json`, JSON.stringify({ name: "real-folder" }));
    await Deno.writeTextFile(`${dir}/real/m.ts`, readingManifest("./data.json"));
    await Deno.symlink("real/m.ts", `${dir}/current.ts`);
    assert.equal((await loadManifest(`${dir}/current.ts`)).name, "real-folder");
  });
});

Deno.test("a manifest may not read a link that leads out, nor a folder above it", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/m`);
    await Deno.writeTextFile(`${dir}/secret.json`, JSON.stringify({ name: "leaked" }));
    await Deno.symlink("../secret.json", `${dir}/m/secret.json`);
    await Deno.writeTextFile(`${dir}/m/via_link.ts`, readingManifest("./secret.json"));
    await Deno.writeTextFile(`${dir}/m/via_parent.ts`, readingManifest("../secret.json"));
    const link = await refusal(`${dir}/m/via_link.ts`);
    assert.match(
      link.message,
      new RegExp(`"${dir}/m/secret.json" is a symbolic link to "${dir}/secret.json", outside`),
    );
    const parent = await refusal(`${dir}/m/via_parent.ts`);
    assert.match(parent.message, new RegExp(`Requires read access to "${dir}/secret.json"`));
  });
});

Deno.test("a manifest file larger than the limit is refused before it runs", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/big.ts`;
    await Deno.writeTextFile(
      file,
      `export default { name: "big", namespaces: {} };\n//${"x".repeat(5 * 1024 * 1024)}\n`,
    );
    const error = await refusal(file);
    assert.match(
      error.message,
      /The manifest is 5\.0 MiB; netform reads manifests of at most 4 MiB/,
    );
  });
});

Deno.test("a manifest in a folder too large to check for links is refused", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/m.ts`, `export default { name: "m", namespaces: {} };\n`);
    await Promise.all(
      Array.from({ length: 10_001 }, (_, i) => Deno.writeTextFile(`${dir}/f${i}`, "")),
    );
    const error = await refusal(`${dir}/m.ts`);
    assert.match(error.message, /has more than 10000 entries to check for symbolic links/);
    assert.match(error.message, /keep manifests in a folder of their own/);
  });
});

Deno.test("limits from flags and the environment are checked", () => {
  assert.equal(parseTimeout("2.5", "--manifest-timeout"), 2500);
  assert.equal(parseMemory("256", "NETFORM_MANIFEST_MEMORY"), 256);
  for (const bad of ["0", "-1", "ten", "", "3601"]) {
    assert.throws(
      () => parseTimeout(bad, "--manifest-timeout"),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith(`Invalid --manifest-timeout "${bad}": give the manifest's time limit`),
    );
  }
  for (const bad of ["63", "1.5", "lots", "-512"]) {
    assert.throws(
      () => parseMemory(bad, "NETFORM_MANIFEST_MEMORY"),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith(
          `Invalid NETFORM_MANIFEST_MEMORY "${bad}": give the manifest's memory`,
        ),
    );
  }
});

Deno.test("NETFORM_MANIFEST_TIMEOUT sets the time limit; an explicit option wins", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/slow.ts`;
    await Deno.writeTextFile(file, `while (true) {}\nexport default {};\n`);
    Deno.env.set("NETFORM_MANIFEST_TIMEOUT", "0.4");
    try {
      assert.match((await refusal(file)).message, /did not finish within 0\.4 s/);
      assert.match((await refusal(file, { timeoutMs: 300 })).message, /within 0\.3 s/);
    } finally {
      Deno.env.delete("NETFORM_MANIFEST_TIMEOUT");
    }
  });
});

/** Answers what the "manifest" file says, with `NONCE` replaced by the nonce: a child gone wrong. */
const STAND_IN_CHILD = `const nonce = (await new Response(Deno.stdin.readable).text()).trim();
const answer = Deno.readTextFileSync(new URL(Deno.args[0])).replaceAll("NONCE", nonce);
const bytes = new TextEncoder().encode(answer);
for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
`;

const LIMITS = { timeoutMs: 10_000, memoryMb: 512, maxOutputBytes: 16 * 1024 * 1024 };

/** Builds `{"kind":"value","value":…}` around a value nested `depth` levels deep. */
function nested(depth: number): string {
  return `NONCE {"kind":"value","value":${"[".repeat(depth)}${"]".repeat(depth)}}\n`;
}

const issue = (fields: string) => `NONCE {"kind":"issues","issues":[${fields}]}\n`;

const FORGED_ANSWERS: { name: string; answer: string; expect: RegExp | SandboxOutcome["kind"] }[] =
  [
    { name: "not JSON", answer: "NONCE {kind: value}\n", expect: /^it is not JSON \(/ },
    {
      name: "JSON but not an object",
      answer: 'NONCE ["value", {}]\n',
      expect: /^it is not a JSON object$/,
    },
    { name: "no kind", answer: 'NONCE {"value":{}}\n', expect: /^"kind" is missing$/ },
    {
      name: "an unknown kind",
      answer: 'NONCE {"kind":"values","value":{}}\n',
      expect: /^"kind" is "values", not "value", "issues" or "error"$/,
    },
    {
      name: "a kind that is not a string",
      answer: 'NONCE {"kind":["value"],"value":{}}\n',
      expect: /^"kind" is \["value"\], not/,
    },
    {
      name: "a value answer without a value",
      answer: 'NONCE {"kind":"value"}\n',
      expect: /^"value" is missing$/,
    },
    {
      name: "a constructor key beside the value",
      answer: 'NONCE {"kind":"value","value":{},"constructor":{"name":"x"}}\n',
      expect: /^it has an unexpected key "constructor"$/,
    },
    {
      name: "an own __proto__ key beside the kind",
      answer: 'NONCE {"kind":"error","__proto__":{"name":"x","message":"y"}}\n',
      expect: /^it has an unexpected key "__proto__"$/,
    },
    {
      name: "issues that are not a list",
      answer: 'NONCE {"kind":"issues","issues":{"path":""}}\n',
      expect: /^"issues" is not a list of 1 to 10 issues$/,
    },
    {
      name: "an empty list of issues",
      answer: issue(""),
      expect: /^"issues" is not a list of 1 to 10 issues$/,
    },
    {
      name: "more issues than the evaluator sends",
      answer: issue(Array(11).fill('{"path":"","message":"m"}').join(",")),
      expect: /^"issues" is not a list of 1 to 10 issues$/,
    },
    {
      name: "an issue that is a string",
      answer: issue('"boom"'),
      expect: /^"issues\[0\]" is not an object$/,
    },
    {
      name: "an issue whose path is a number",
      answer: issue('{"path":1,"message":"m"}'),
      expect: /^"issues\[0\]\.path" is not a string$/,
    },
    {
      name: "an issue without a message",
      answer: issue('{"path":""}'),
      expect: /^"issues\[0\]\.message" is missing$/,
    },
    {
      name: "an issue whose hint is null",
      answer: issue('{"path":"","message":"m","hint":null}'),
      expect: /^"issues\[0\]\.hint" is not a string$/,
    },
    {
      name: "an issue with a constructor key",
      answer: issue('{"path":"","message":"m"},{"path":"","message":"m","constructor":"x"}'),
      expect: /^"issues\[1\]" has an unexpected key "constructor"$/,
    },
    {
      name: "an issue with a huge message",
      answer: issue(`{"path":"","message":"${"x".repeat(5000)}"}`),
      expect: /^"issues\[0\]\.message" is longer than 4096 characters$/,
    },
    {
      name: "an error whose name is an object",
      answer: 'NONCE {"kind":"error","name":{},"message":"m"}\n',
      expect: /^"name" is not a string$/,
    },
    {
      name: "an error without a name",
      answer: 'NONCE {"kind":"error","message":"m"}\n',
      expect: /^"name" is missing$/,
    },
    {
      name: "an error with a 1 MiB message",
      answer: `NONCE {"kind":"error","name":"Error","message":"${"x".repeat(1 << 20)}"}\n`,
      expect: /^"message" is longer than 4096 characters$/,
    },
    {
      name: "a value nested 33 levels deep",
      answer: nested(33),
      expect: /^"value(\[0\]){32}" is nested deeper than 32 levels$/,
    },
    {
      name: "a number JSON reads as Infinity",
      answer: 'NONCE {"kind":"value","value":{"name":"n","mtu":1e999}}\n',
      expect: /^"value\.mtu" is a number out of range$/,
    },
    {
      name: "two answer lines",
      answer: 'NONCE {"kind":"value","value":{}}\nNONCE {"kind":"value","value":{}}\n',
      expect: /^it holds 2 answer lines, not one$/,
    },
    {
      name: "an unfinished answer line",
      answer: 'NONCE {"kind":"value","value":{}}',
      expect: /^the answer line is not finished$/,
    },
    {
      name: "an answer larger than the limit",
      answer: `NONCE {"kind":"value","value":"${"x".repeat(17 << 20)}"}\n`,
      expect: "output",
    },
    {
      name: "no answer line at all",
      answer: 'nonce? {"kind":"value","value":{}}\n',
      expect: "exited",
    },
    {
      name: "a value 32 levels deep (what the evaluator still sends)",
      answer: nested(32),
      expect: "value",
    },
  ];

Deno.test("the parent refuses a sandbox answer of the wrong shape with its reason", async (t) => {
  await withTempDir(async (dir) => {
    const entry = `${dir}/stand_in_child.ts`;
    await Deno.writeTextFile(entry, STAND_IN_CHILD);
    for (const c of FORGED_ANSWERS) {
      await t.step(c.name, async () => {
        const answer = `${dir}/answer.txt`;
        await Deno.writeTextFile(answer, c.answer);
        const outcome = await evaluateInSandbox(answer, LIMITS, {
          allowRead: [dir],
          denyRead: [],
          entry,
        });
        if (typeof c.expect === "string") {
          assert.equal(outcome.kind, c.expect, JSON.stringify(outcome).slice(0, 300));
          return;
        }
        assert.equal(outcome.kind, "malformed", JSON.stringify(outcome).slice(0, 300));
        const why = (outcome as Extract<SandboxOutcome, { kind: "malformed" }>).why;
        assert.match(why, c.expect);
        const shown = outcomeIssue(outcome as Extract<SandboxOutcome, { kind: "malformed" }>, {
          folder: dir,
          limits: { ...LIMITS, maxFileBytes: 1 },
          deniedLinks: [],
        });
        assert.equal(shown.message, `The sandbox's answer was malformed: ${why}`);
        assert.match(shown.hint ?? "", /netform refuses the manifest rather than trust the answer/);
      });
    }
  });
});

Deno.test("an own __proto__ key anywhere in a value answer is reported, not dropped", async (t) => {
  await withTempDir(async (dir) => {
    const entry = `${dir}/stand_in_child.ts`;
    await Deno.writeTextFile(entry, STAND_IN_CHILD);
    const cases = [
      ['{"__proto__":{"kind":"evil"},"name":"p","namespaces":{}}', "__proto__"],
      ['{"name":"p","namespaces":{"__proto__":{}}}', "namespaces.__proto__"],
      [
        '{"name":"p","namespaces":{"ns1":{"links":{"__proto__":{"kind":"dummy"}}}}}',
        "namespaces.ns1.links.__proto__",
      ],
      [
        '{"name":"p","namespaces":{"ns1":{"routes":[{"__proto__":{"to":"0.0.0.0/0"}}]}}}',
        "namespaces.ns1.routes[0].__proto__",
      ],
      ['[{"__proto__":null}]', "[0].__proto__"],
    ];
    for (const [value, path] of cases) {
      await t.step(path!, async () => {
        const answer = `${dir}/answer.txt`;
        await Deno.writeTextFile(answer, `NONCE {"kind":"value","value":${value}}\n`);
        const outcome = await evaluateInSandbox(answer, LIMITS, {
          allowRead: [dir],
          denyRead: [],
          entry,
        });
        assert.deepEqual(outcome, {
          kind: "issues",
          issues: [{ path, message: 'Unknown key "__proto__"', hint: 'remove "__proto__"' }],
        });
      });
    }
  });
});

Deno.test("what the evaluator clips stays within what the parent accepts", async (t) => {
  await withTempDir(async (dir) => {
    const cases: [string, string, RegExp][] = [
      [
        "a function under a 100 000-character key",
        `export default { name: "k", namespaces: {}, ${"k".repeat(100_000)}: () => 1 };\n`,
        /^k{4000,}…: Found a function/,
      ],
      [
        "a thrown error with a 1 MiB message",
        `throw new Error("m".repeat(1 << 20));\n`,
        /^The manifest failed while loading: Error: m{4000,}…/,
      ],
      [
        "a class whose name is 100 000 characters",
        `const C = { ["${"C".repeat(100_000)}"]: class {} }["${
          "C".repeat(100_000)
        }"];\nexport default new C();\n`,
        /^Found an instance of class C{100,}…/,
      ],
      [
        "20 functions (the evaluator reports the first 10)",
        `export default Object.fromEntries(Array.from({ length: 20 }, (_, i) => ["f" + i, () => i]));\n`,
        /^f0: Found a function/,
      ],
      [
        "a symbol with a 100 000-character description",
        `export default { name: Symbol("${"s".repeat(100_000)}"), namespaces: {} };\n`,
        /^name: Found a symbol \(s{4000,}…/,
      ],
    ];
    for (const [name, source, message] of cases) {
      await t.step(name, async () => {
        await Deno.writeTextFile(`${dir}/m.ts`, source);
        const error = await refusal(`${dir}/m.ts`);
        const first = error.issues[0]!;
        assert.match(`${first.path ? first.path + ": " : ""}${first.message}`, message);
        assert.doesNotMatch(error.message, /malformed/);
        assert.ok(error.issues.length <= 10);
        for (const i of error.issues) assert.ok(i.path.length + i.message.length <= 2 * 4096);
      });
    }
  });
});

Deno.test("a comma is fine where no permission flag has to carry it", async (t) => {
  await withTempDir(async (dir) => {
    const cases: [string, (m: string) => Promise<void>][] = [
      ["a data file named with a comma", async (m) => {
        await Deno.writeTextFile(`${m}/data,1.json`, JSON.stringify({ name: "fine" }));
        await Deno.writeTextFile(`${m}/m.ts`, readingManifest("./data,1.json"));
      }],
      ["a link with a comma to a file inside the folder", async (m) => {
        await Deno.writeTextFile(`${m}/data.json`, JSON.stringify({ name: "fine" }));
        await Deno.symlink("data.json", `${m}/alias,1.json`);
        await Deno.writeTextFile(`${m}/m.ts`, readingManifest("./alias,1.json"));
      }],
      ["a folder with a comma inside, holding no link", async (m) => {
        await Deno.mkdir(`${m}/sub,dir`);
        await Deno.writeTextFile(`${m}/sub,dir/data.json`, JSON.stringify({ name: "fine" }));
        await Deno.writeTextFile(`${m}/m.ts`, readingManifest("./sub,dir/data.json"));
      }],
      ["a manifest reached through a link with a comma", async (m) => {
        await Deno.writeTextFile(`${m}/data.json`, JSON.stringify({ name: "fine" }));
        await Deno.writeTextFile(`${m}/real.ts`, readingManifest("./data.json"));
        await Deno.symlink("real.ts", `${m}/m.ts,old`);
        await Deno.symlink("m.ts,old", `${m}/m.ts`);
      }],
      ["a file named with U+FFFD (valid UTF-8)", async (m) => {
        await Deno.writeTextFile(`${m}/data\uFFFD.json`, JSON.stringify({ name: "fine" }));
        await Deno.symlink("data\uFFFD.json", `${m}/alias\uFFFD.json`);
        await Deno.writeTextFile(`${m}/m.ts`, readingManifest("./alias\uFFFD.json"));
      }],
    ];
    for (const [name, setup] of cases) {
      await t.step(name, async () => {
        const m = await Deno.makeTempDir({ dir, prefix: "m_" });
        await setup(m);
        assert.equal((await loadManifest(`${m}/m.ts`)).name, "fine");
      });
    }
  });
});

Deno.test("deniedLinks refuses a link to deny whose path a permission flag cannot carry", async (t) => {
  await withTempDir(async (dir) => {
    const cases: [string, (m: string) => Promise<void>, string, string][] = [
      [
        "a comma in the link's name",
        (m) => Deno.symlink("/etc/passwd", `${m}/x,y`),
        "x,y",
        "comma",
      ],
      [
        "a comma in a folder above the link",
        async (m) => {
          await Deno.mkdir(`${m}/a,b`);
          await Deno.symlink("/etc", `${m}/a,b/etc`);
        },
        "a,b/etc",
        "comma",
      ],
      [
        "a dangling link with a comma",
        (m) => Deno.symlink("missing", `${m}/gone,x`),
        "gone,x",
        "comma",
      ],
      [
        "a link to a directory inside, with a comma",
        async (m) => {
          await Deno.mkdir(`${m}/sub`);
          await Deno.symlink("sub", `${m}/s,ub`);
        },
        "s,ub",
        "comma",
      ],
      [
        "a link whose name is U+FFFD in Deno's reading of bad bytes",
        async (m) => {
          const made = await new Deno.Command("bash", {
            args: ["-c", `ln -s /etc/passwd "$(printf 'p\\xff')"`],
            cwd: m,
          }).output();
          assert.equal(made.code, 0);
        },
        "p\uFFFD",
        "encoding",
      ],
    ];
    for (const [name, setup, link, problem] of cases) {
      await t.step(name, async () => {
        const m = await Deno.makeTempDir({ dir, prefix: "m_" });
        await setup(m);
        const error = await deniedLinks(m).then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof InexpressiblePathError, `expected a refusal, got ${error}`);
        assert.equal(error.path, `${m}/${link}`);
        assert.equal(error.problem, problem);
      });
    }
  });
});

Deno.test("Deno splits permission flags on commas, has no escape, and adds up repeated flags", async (t) => {
  // What permission_paths.ts relies on; if a later Deno changes it, commas could be passed instead.
  await withTempDir(async (dir) => {
    for (const name of ["a", "b", "x,y"]) {
      await Deno.mkdir(`${dir}/${name}`);
      await Deno.writeTextFile(`${dir}/${name}/f`, name);
    }
    const script = `${dir}/read.ts`;
    await Deno.writeTextFile(
      script,
      `for (const d of ["a", "b", "x,y"]) {
  try { console.log(Deno.readTextFileSync(${
        JSON.stringify(dir)
      } + "/" + d + "/f")); } catch { /* denied */ }
}
`,
    );
    const read = async (...flags: string[]) => {
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-config", "--no-prompt", ...flags, script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(run.stdout).trim().split("\n").filter(Boolean);
      return { code: run.code, read: out, stderr: new TextDecoder().decode(run.stderr) };
    };
    const cases: [string, string[], string[] | RegExp][] = [
      ["a comma splits one flag into two paths", [`--allow-read=${dir}/a,${dir}/b`], ["a", "b"]],
      ["a doubled comma is refused, not read as a comma", [
        `--allow-read=${dir}/x,,y`,
      ], /Empty path is not allowed/],
      ["repeated flags add up", [`--allow-read=${dir}/a`, `--allow-read=${dir}/b`], ["a", "b"]],
      ["repeated --deny-read flags add up", [
        `--allow-read=${dir}`,
        `--deny-read=${dir}/a`,
        `--deny-read=${dir}/b`,
      ], ["x,y"]],
      ["a comma in --deny-read denies the pieces, not the path", [
        `--allow-read=${dir}`,
        `--deny-read=${dir}/x,y`,
      ], ["a", "b", "x,y"]],
    ];
    for (const [name, flags, expected] of cases) {
      await t.step(name, async () => {
        const run = await read(...flags);
        if (expected instanceof RegExp) {
          assert.notEqual(run.code, 0);
          assert.match(run.stderr, expected);
        } else {
          assert.equal(run.code, 0, run.stderr);
          assert.deepEqual(run.read, expected);
        }
      });
    }
  });
});
