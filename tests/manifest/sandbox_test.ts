import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { ManifestError } from "../../src/errors.ts";
import { deniedLinks, InexpressiblePathError } from "../../src/manifest/folder_links.ts";
import { parseMemory, parseTimeout } from "../../src/manifest/limits.ts";
import { loadManifest } from "../../src/manifest/load.ts";

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
