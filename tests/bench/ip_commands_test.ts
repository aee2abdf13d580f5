/** The benchmark's scenario and its translation of a plan into `ip` commands. */
import assert from "node:assert/strict";
import { batchFiles, ipCommandsFor, sequential } from "../../bench/ip_commands.ts";
import { scenarioCommands } from "../../bench/live_bench.ts";
import { generateScenario, share } from "../../bench/scenario.ts";

Deno.test("generateScenario() spreads slaves, addresses and routes over the namespaces", () => {
  const s = generateScenario({ namespaces: 3, slaves: 10, addresses: 10, routes: 7 }, "x-");
  assert.deepEqual(s.tenants, ["x-t0", "x-t1", "x-t2"]);
  const ns = s.input.namespaces;
  const slaves = s.tenants.map((t) => Object.keys(ns[t]!.links ?? {}).filter((l) => l !== "lo"));
  assert.deepEqual(slaves.map((l) => l.length), [4, 3, 3]);
  assert.deepEqual(s.tenants.map((t) => ns[t]!.routes?.length), [3, 2, 2]);
  assert.equal(share(10, 3, 0) + share(10, 3, 1) + share(10, 3, 2), 10);
  assert.throws(() =>
    generateScenario({ namespaces: 1, slaves: 1, addresses: 241, routes: 0 }, "x")
  );
});

Deno.test("ipCommandsFor() writes each operation as a shell script would", () => {
  assert.deepEqual(ipCommandsFor({ op: "namespace.create", namespace: "a" }), [
    { namespace: null, args: ["netns", "add", "a"], phase: 0 },
  ]);
  assert.deepEqual(
    ipCommandsFor({
      op: "link.create",
      link: {
        namespace: "t0",
        name: "mv0",
        kind: "macvlan",
        up: true,
        alias: "netform:b",
        parent: { namespace: "host", name: "uplink" },
        macvlanMode: "bridge",
      },
    }),
    [
      {
        namespace: "host",
        args: [
          "link",
          "add",
          "mv0",
          "link",
          "uplink",
          "netns",
          "t0",
          "up",
          "type",
          "macvlan",
          "mode",
          "bridge",
        ],
        phase: 1,
      },
      { namespace: "t0", args: ["link", "set", "mv0", "alias", "netform:b"], phase: 2 },
    ],
  );
  assert.deepEqual(
    ipCommandsFor({
      op: "route.add",
      namespace: "t0",
      route: {
        to: "192.168.0.1/32",
        via: "10.0.0.1",
        dev: "mv0",
        type: "unicast",
        metric: 0,
        table: 254,
        protocol: 150,
      },
    })[0]!.args,
    ["route", "add", "192.168.0.1/32", "via", "10.0.0.1", "dev", "mv0", "proto", "150"],
  );
});

Deno.test("batchFiles() runs every namespace's links before any address or route", () => {
  const s = generateScenario({ namespaces: 2, slaves: 4, addresses: 4, routes: 4 }, "x-");
  const commands = scenarioCommands(s);
  const files = batchFiles(commands);
  assert.deepEqual(files[0], {
    namespace: null,
    lines: ["netns add x-host", "netns add x-t0", "netns add x-t1"],
  });
  const hostLinks = files.findIndex((f) =>
    f.namespace === "x-host" && f.lines.some((l) => l.includes("type macvlan"))
  );
  const firstAddress = files.findIndex((f) => f.lines.some((l) => l.startsWith("address add")));
  assert.ok(hostLinks > 0 && hostLinks < firstAddress);
  assert.equal(files.flatMap((f) => f.lines).length, commands.length);
  assert.equal(sequential(commands).length, commands.length);
});
