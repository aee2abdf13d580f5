import assert from "node:assert/strict";
import { KernelError } from "../../src/errors.ts";
import {
  AF_INET,
  attr,
  ifinfomsg,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  NLM_F_CREATE,
  NLM_F_EXCL,
  parseAttributes,
  readIfInfoMsg,
  readString,
  type Request,
  RouteSocket,
  RTA_DST,
  RTA_GATEWAY,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  rtmsg,
  TransactError,
  VETH_INFO_PEER,
} from "../../ffi/mod.ts";
import { currentNamespaceInode } from "../../ffi/netns.ts";
import { hostState, ipJson, ipLinks, live, thrown, withNamespace } from "./_live.ts";

const hostBefore = live.ignore ? "" : hostState();

function createVeth(name: string, peer: string): Request {
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    header: ifinfomsg(),
    action: `Cannot create link "${name}"`,
    attrs: [
      attr.string(IFLA_IFNAME, name),
      attr.nested(IFLA_LINKINFO, [
        attr.string(IFLA_INFO_KIND, "veth"),
        attr.nested(IFLA_INFO_DATA, [
          attr.nested(VETH_INFO_PEER, [attr.string(IFLA_IFNAME, peer)], ifinfomsg()),
        ]),
      ]),
    ],
  };
}

function dumpLinks(s: RouteSocket): { ifname: string; ifindex: number }[] {
  return s.dump(RTM_GETLINK, ifinfomsg()).map((m) => {
    assert.equal(m.type, RTM_NEWLINK);
    const name = parseAttributes(m.payload, 16).get(IFLA_IFNAME);
    assert.ok(name);
    return { ifname: readString(name), ifindex: readIfInfoMsg(m.payload).index };
  }).sort((a, b) => a.ifindex - b.ifindex);
}

function names(ns: string): string[] {
  return ipLinks(ns).map((l) => l.ifname).sort();
}

Deno.test({
  name: "a RouteSocket in a namespace dumps exactly the links ip lists there",
  ...live,
  fn: () =>
    withNamespace((ns) => {
      const ino = currentNamespaceInode();
      using s = RouteSocket.open(ns);
      assert.equal(currentNamespaceInode(), ino);
      assert.deepEqual(dumpLinks(s), ipLinks(ns));
      assert.equal(currentNamespaceInode(), ino);
      s.transact([createVeth("nfa0", "nfa1"), createVeth("nfb0", "nfb1")]);
      const seen = dumpLinks(s);
      assert.deepEqual(seen, ipLinks(ns));
      const host = ipJson<{ ifname: string }[]>("link").map((l) => l.ifname);
      for (const l of seen) {
        if (l.ifname !== "lo") {
          assert.ok(!host.includes(l.ifname), `${l.ifname} is not a host link`);
        }
      }
      assert.equal(currentNamespaceInode(), ino);
    }),
});

Deno.test({
  name: "transact() creates a veth pair inside the namespace",
  ...live,
  fn: () =>
    withNamespace((ns) => {
      using s = RouteSocket.open(ns);
      s.transact([createVeth("nfv0", "nfv1")]);
      assert.deepEqual(names(ns), ["lo", "nfv0", "nfv1"]);
    }),
});

Deno.test({
  name: "a duplicate create fails with the kernel's EEXIST",
  ...live,
  fn: () =>
    withNamespace((ns) => {
      const ino = currentNamespaceInode();
      using s = RouteSocket.open(ns);
      s.transact([createVeth("nfv0", "nfv1")]);
      const e = thrown(() => s.transact([createVeth("nfv0", "nfv9")]), TransactError);
      assert.ok(e instanceof KernelError);
      assert.equal(e.code, "EEXIST");
      assert.equal(e.errno, 17);
      assert.equal(e.action, 'Cannot create link "nfv0"');
      assert.equal(e.completed, 0);
      assert.equal(currentNamespaceInode(), ino);
      assert.deepEqual(names(ns), ["lo", "nfv0", "nfv1"]);
    }),
});

Deno.test({
  name: "errno values libnl folds into one code come through as themselves",
  ...live,
  fn: () =>
    withNamespace((ns) => {
      using s = RouteSocket.open(ns);
      // ENODEV (libnl: NLE_NODEV) for deleting a missing link.
      const missing = thrown(() =>
        s.transact([{
          type: RTM_DELLINK,
          flags: 0,
          header: ifinfomsg(),
          attrs: [attr.string(IFLA_IFNAME, "nfnone")],
          action: 'Cannot delete link "nfnone"',
        }]), TransactError);
      assert.equal(missing.code, "ENODEV");
      // ENETUNREACH (libnl: NLE_FAILURE) with the extack text.
      const route = thrown(() =>
        s.transact([{
          type: RTM_NEWROUTE,
          flags: NLM_F_CREATE | NLM_F_EXCL,
          header: rtmsg({ family: AF_INET, dstLen: 24, table: 254, protocol: 4, type: 1 }),
          attrs: [
            attr.bytes(RTA_DST, Uint8Array.of(10, 99, 0, 0)),
            attr.bytes(RTA_GATEWAY, Uint8Array.of(192, 0, 2, 1)),
          ],
          action: 'Cannot add route "10.99.0.0/24"',
        }]), TransactError);
      assert.equal(route.code, "ENETUNREACH");
      assert.equal(route.errno, 101);
      assert.equal(route.kernelMessage, "Nexthop has invalid gateway");
      assert.equal(
        route.message,
        'Cannot add route "10.99.0.0/24": Nexthop has invalid gateway (ENETUNREACH)',
      );
    }),
});

Deno.test({
  name: "transact() applies many requests in one call",
  ...live,
  fn: () =>
    withNamespace((ns) => {
      using s = RouteSocket.open(ns);
      const requests = Array.from({ length: 150 }, (_, i) => createVeth(`nfp${i}`, `nfq${i}`));
      s.transact(requests); // more than one window of 64 in flight
      const expected = ["lo", ...requests.flatMap((_, i) => [`nfp${i}`, `nfq${i}`])].sort();
      assert.deepEqual(names(ns), expected);
      assert.deepEqual(dumpLinks(s), ipLinks(ns));
    }),
});

Deno.test({
  name: "a failure in the middle says how many requests completed",
  ...live,
  fn: async (t) => {
    await t.step("one at a time: nothing after the failure runs", () =>
      withNamespace((ns) => {
        using s = RouteSocket.open(ns);
        s.transact([createVeth("nfx0", "nfx1")]);
        const batch = [
          createVeth("nfa0", "nfa1"),
          createVeth("nfb0", "nfb1"),
          createVeth("nfx0", "nfz1"),
          createVeth("nfc0", "nfc1"),
        ];
        const e = thrown(() => s.transact(batch, { window: 1 }), TransactError);
        assert.equal(e.code, "EEXIST");
        assert.equal(e.action, 'Cannot create link "nfx0"');
        assert.equal(e.completed, 2);
        assert.deepEqual(e.appliedAfter, []);
        assert.equal(e.notSent, 1);
        assert.deepEqual(names(ns), ["lo", "nfa0", "nfa1", "nfb0", "nfb1", "nfx0", "nfx1"]);
      }));
    await t.step("pipelined: requests already in flight are reported", () =>
      withNamespace((ns) => {
        using s = RouteSocket.open(ns);
        s.transact([createVeth("nfx0", "nfx1")]);
        const batch = [
          createVeth("nfa0", "nfa1"),
          createVeth("nfx0", "nfz1"),
          createVeth("nfx1", "nfz2"),
          createVeth("nfc0", "nfc1"),
        ];
        const e = thrown(() => s.transact(batch), TransactError);
        assert.equal(e.completed, 1);
        assert.deepEqual(e.failedAfter, [2]);
        assert.deepEqual(e.appliedAfter, [3]);
        assert.equal(e.notSent, 0);
        assert.deepEqual(names(ns), ["lo", "nfa0", "nfa1", "nfc0", "nfc1", "nfx0", "nfx1"]);
      }));
  },
});

Deno.test({
  name: "a RouteSocket closes idempotently and refuses use after close",
  ...live,
  fn: () =>
    withNamespace((ns) => {
      const s = RouteSocket.open(ns);
      s.close();
      s.close();
      s[Symbol.dispose]();
      thrown(() => s.dump(RTM_GETLINK, ifinfomsg()), TypeError);
    }),
});

Deno.test({
  name: "RouteSocket.open() of a missing namespace fails with ENOENT",
  ...live,
  fn: () => {
    const ino = currentNamespaceInode();
    const e = thrown(() => RouteSocket.open("nftest-does-not-exist"), KernelError);
    assert.equal(e.code, "ENOENT");
    assert.equal(currentNamespaceInode(), ino);
  },
});

Deno.test({
  name: "the host's links and addresses are unchanged by the socket tests",
  ...live,
  fn: () => assert.equal(hostState(), hostBefore),
});
