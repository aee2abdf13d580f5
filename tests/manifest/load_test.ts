import assert from "node:assert/strict";
import { ManifestError } from "../../src/errors.ts";
import { loadManifest } from "../../src/manifest/load.ts";

const DIR = new URL("../testdata/manifests/", import.meta.url).pathname;

/** Loads `name` and returns the ManifestError it must fail with. */
async function failure(name: string, timeoutMs?: number): Promise<ManifestError> {
  const file = DIR + name;
  const error = await loadManifest(file, timeoutMs === undefined ? {} : { timeoutMs }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ManifestError, `expected a ManifestError, got ${error}`);
  assert.equal(error.file, file);
  assert.ok(error.message.startsWith(`Invalid manifest "${file}": `), error.message);
  return error;
}

Deno.test("loadManifest evaluates a valid manifest that imports mod.ts", async () => {
  const topology = await loadManifest(DIR + "valid.ts");
  assert.equal(topology.name, "loader-test");
  assert.deepEqual(topology.namespaces.root!.links.eth0, {
    kind: "existing",
    addresses: [],
    ipvlan: { mode: "l2", flags: "bridge" },
  });
  assert.equal(topology.namespaces.ns1!.routes[0]!.to, "0.0.0.0/0");
});

Deno.test("loadManifest reports an exception thrown by the manifest", async () => {
  const error = await failure("throws.ts");
  assert.match(error.message, /The manifest failed while loading: Error: boom from the manifest/);
});

Deno.test("loadManifest reports a syntax error in the manifest", async () => {
  const error = await failure("syntax_error.ts");
  assert.match(error.message, /The manifest failed while loading: .*SyntaxError/);
});

Deno.test("loadManifest denies reading a file outside the manifest's folder", async () => {
  const error = await failure("reads_etc.ts");
  assert.match(error.message, /denied an operation: Requires read access to "\/etc\/hostname"/);
  assert.match(error.message, /manifests may only read their own folder/);
  assert.doesNotMatch(error.message, /run again with/);
});

Deno.test("loadManifest denies opening a socket", async () => {
  const error = await failure("opens_socket.ts");
  assert.match(error.message, /denied an operation: Requires net access to "127\.0\.0\.1:9"/);
  assert.match(error.message, /manifests may only read their own folder/);
});

Deno.test("loadManifest requires a default export", async () => {
  const error = await failure("no_default.ts");
  assert.match(error.message, /The manifest has no default export/);
});

Deno.test("loadManifest stops a manifest that runs too long", async () => {
  const error = await failure("loops_forever.ts", 300);
  assert.match(error.message, /The manifest did not finish within 0\.3 s/);
});

Deno.test("loadManifest rejects a default export that is a function", async () => {
  const error = await failure("exports_function.ts");
  assert.match(error.message, /Found a function \("topology"\)/);
  assert.match(error.message, /a manifest must export plain data/);
});

Deno.test("loadManifest names the path of a function inside the export", async () => {
  const error = await failure("function_inside.ts");
  assert.deepEqual(error.issues.map((i) => i.path), ["namespaces.ns1.links.d0.up"]);
});

Deno.test("loadManifest rejects a default export with a cycle", async () => {
  const error = await failure("cycle.ts");
  assert.match(error.message, /namespaces\.ns1\.self: Found a cycle/);
});

Deno.test("loadManifest validates the export and names the file", async () => {
  const error = await failure("invalid.ts");
  assert.deepEqual(error.issues.map((i) => i.path), ["namespaces.ns1.links.ipvl1.parent"]);
  assert.match(error.message, /Parent "root\/eth9" is not declared/);
});

Deno.test("loadManifest reports a file that does not exist", async () => {
  const error = await failure("missing.ts");
  assert.match(error.message, /Cannot read the manifest/);
});
