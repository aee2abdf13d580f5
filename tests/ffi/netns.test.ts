import assert from "node:assert/strict";
import { KernelError } from "../../src/errors.ts";
import { createNamespace, deleteNamespace, listNamespaces } from "../../ffi/mod.ts";
import { currentNamespaceInode, inNamespace } from "../../ffi/netns.ts";
import { hostState, ip, ipJson, live, thrown, uniqueName, withNamespace } from "./_live.ts";

const hostBefore = live.ignore ? "" : hostState();

Deno.test({
  name: "createNamespace() makes a namespace that ip netns lists and can exec in",
  ...live,
  fn: () => {
    const ns = uniqueName();
    const ino = currentNamespaceInode();
    createNamespace(ns);
    try {
      assert.deepEqual(currentNamespaceInode(), ino);
      const listed = ipJson<{ name: string }[]>("netns", "list").map((n) => n.name);
      assert(listed.includes(ns), `ip netns list shows ${ns}`);
      assert(listNamespaces().includes(ns));
      const links = JSON.parse(ip("netns", "exec", ns, "ip", "-j", "link")) as {
        ifname: string;
      }[];
      assert.deepEqual(links.map((l) => l.ifname), ["lo"]);
    } finally {
      deleteNamespace(ns);
    }
    assert.deepEqual(currentNamespaceInode(), ino);
    assert(!listNamespaces().includes(ns));
    const after = ipJson<{ name: string }[]>("netns", "list").map((n) => n.name);
    assert(!after.includes(ns), "ip netns list no longer shows it");
  },
});

Deno.test({
  name: "listNamespaces() sees a namespace made by ip netns add",
  ...live,
  fn: () => {
    const ns = uniqueName();
    ip("netns", "add", ns);
    try {
      assert(listNamespaces().includes(ns));
      inNamespace(ns, () => {}); // it is a real namespace we can enter
    } finally {
      deleteNamespace(ns);
    }
    assert(!ipJson<{ name: string }[]>("netns", "list").some((n) => n.name === ns));
  },
});

Deno.test({
  name: "createNamespace() refuses an existing name with EEXIST",
  ...live,
  fn: () =>
    withNamespace((ns) => {
      const ino = currentNamespaceInode();
      const e = thrown(() => createNamespace(ns), KernelError);
      assert.deepEqual(e.code, "EEXIST");
      assert.deepEqual(e.errno, 17);
      assert(e.message.startsWith(`Cannot create namespace "${ns}"`), e.message);
      assert.deepEqual(currentNamespaceInode(), ino);
    }),
});

Deno.test({
  name: "deleteNamespace() of a missing namespace fails with ENOENT",
  ...live,
  fn: () => {
    const e = thrown(() => deleteNamespace(uniqueName()), KernelError);
    assert.deepEqual(e.code, "ENOENT");
  },
});

Deno.test({
  name: "namespace names with a slash are refused",
  ...live,
  fn: () => {
    const e = thrown(() => createNamespace("../etc"), KernelError);
    assert.deepEqual(e.code, "EINVAL");
  },
});

Deno.test({
  name: "inNamespace() switches the thread into the namespace and back, also on throw",
  ...live,
  fn: () =>
    withNamespace((ns) => {
      const ino = currentNamespaceInode();
      const target = Deno.statSync(`/run/netns/${ns}`).ino;
      const inside = inNamespace(ns, () => currentNamespaceInode());
      assert.deepEqual(inside, target);
      assert.notEqual(inside, ino);
      assert.deepEqual(currentNamespaceInode(), ino);
      const boom = thrown(() =>
        inNamespace(ns, () => {
          throw new Error("boom");
        }), Error);
      assert.equal(boom.message, "boom");
      assert.deepEqual(currentNamespaceInode(), ino);
      thrown(() => inNamespace(ns, () => Promise.resolve(1)), TypeError);
      assert.deepEqual(currentNamespaceInode(), ino);
      const e = thrown(() => inNamespace(uniqueName(), () => 1), KernelError);
      assert.deepEqual(e.code, "ENOENT");
      assert.deepEqual(currentNamespaceInode(), ino);
    }),
});

Deno.test({
  name: "the host's links and addresses are unchanged by the namespace tests",
  ...live,
  fn: () => assert.deepEqual(hostState(), hostBefore),
});
