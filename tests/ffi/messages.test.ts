import assert from "node:assert/strict";
import {
  attributeList,
  ifaddrmsg,
  ifinfomsg,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MTU,
  NLA_F_NESTED,
  parseAttributes,
  readIfAddrMsg,
  readIfInfoMsg,
  readRtMsg,
  readS32,
  readString,
  readU16,
  readU32,
  readU8,
  rtmsg,
} from "../../ffi/messages.ts";

function nla(type: number, value: Uint8Array): Uint8Array {
  const len = 4 + value.length;
  const out = new Uint8Array((len + 3) & ~3);
  new DataView(out.buffer).setUint16(0, len, true);
  new DataView(out.buffer).setUint16(2, type, true);
  out.set(value, 4);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("fixed headers round-trip through their readers", () => {
  const link = { family: 0, type: 1, index: 7, flags: 0x1003, change: 0xffffffff };
  assert.equal(ifinfomsg(link).length, 16);
  assert.deepEqual(readIfInfoMsg(ifinfomsg(link)), link);
  const addr = { family: 2, prefixlen: 24, flags: 0x80, scope: 253, index: 3 };
  assert.equal(ifaddrmsg(addr).length, 8);
  assert.deepEqual(readIfAddrMsg(ifaddrmsg(addr)), addr);
  const route = {
    family: 10,
    dstLen: 64,
    srcLen: 0,
    tos: 0,
    table: 254,
    protocol: 4,
    scope: 0,
    type: 1,
    flags: 0,
  };
  assert.equal(rtmsg(route).length, 12);
  assert.deepEqual(readRtMsg(rtmsg(route)), route);
});

Deno.test("parseAttributes() reads padded, nested attributes after a header", () => {
  const kind = nla(IFLA_INFO_KIND, new TextEncoder().encode("veth\0"));
  const data = nla(IFLA_INFO_DATA | NLA_F_NESTED, new Uint8Array(0));
  const payload = concat(
    ifinfomsg({ index: 5 }),
    nla(IFLA_IFNAME, new TextEncoder().encode("eth0\0")), // 9 bytes, padded to 12
    nla(IFLA_MTU, Uint8Array.of(0xdc, 0x05, 0, 0)),
    nla(IFLA_LINKINFO | NLA_F_NESTED, concat(kind, data)),
  );
  const attrs = parseAttributes(payload, 16);
  assert.equal(readString(attrs.get(IFLA_IFNAME)!), "eth0");
  assert.equal(readU32(attrs.get(IFLA_MTU)!), 1500);
  const list = attributeList(payload, 16);
  assert.deepEqual(list.map((a) => [a.type, a.nested]), [
    [IFLA_IFNAME, false],
    [IFLA_MTU, false],
    [IFLA_LINKINFO, true],
  ]);
  const info = parseAttributes(attrs.get(IFLA_LINKINFO)!);
  assert.equal(readString(info.get(IFLA_INFO_KIND)!), "veth");
  assert.equal(info.get(IFLA_INFO_DATA)!.length, 0);
});

Deno.test("attribute parsing stops at a truncated attribute", () => {
  const good = nla(1, Uint8Array.of(1, 2, 3, 4));
  const bad = Uint8Array.of(40, 0, 2, 0, 9, 9);
  assert.deepEqual(attributeList(concat(good, bad)).map((a) => a.type), [1]);
});

Deno.test("integer readers use host byte order and check the length", () => {
  assert.equal(readU8(Uint8Array.of(7)), 7);
  assert.equal(readU16(Uint8Array.of(0x34, 0x12)), 0x1234);
  assert.equal(readS32(Uint8Array.of(0xff, 0xff, 0xff, 0xff)), -1);
  assert.throws(() => readU32(Uint8Array.of(1, 2)), RangeError);
});
