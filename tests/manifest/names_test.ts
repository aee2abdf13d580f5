/**
 * Names in a manifest (issue 9, class 4 and the `%` rule of class 9): every
 * name and every other string is refused when it holds a character a terminal
 * would interpret, named by code point; link names follow the kernel's
 * `dev_valid_name` byte for byte and may not hold a `%`. Each case shows the
 * manifest path, the exact message and the hint.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ManifestError } from "../../src/errors.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import { formatPath } from "../../src/manifest/format_path.ts";
import { validateTopology } from "../../src/manifest/validate.ts";
import {
  escapeUnsafe,
  findUnsafeCharacter,
  kernelNameProblem,
  PRINTABLE_HINT,
  quote,
} from "../../src/model/names.ts";
import { edited, type Loose } from "./_fixtures.ts";

interface Case {
  name: string;
  value: Loose;
  path: string;
  message: string;
  /** Text the hint must contain. */
  hint: string;
  /** Issues the manifest has in all (a bad reference is also "not declared"). */
  issues?: number;
}

const ns1 = (m: Loose) => m.namespaces.ns1;
const ns2 = (m: Loose) => m.namespaces.ns2;
const root = (m: Loose) => m.namespaces.root;
const LINK_HINT = 'use 1 to 15 bytes without "/", ":", "%", spaces or control characters';
const PERCENT = ' contains "%": the kernel reads such a name as a template ' +
  '(a "%d" becomes the lowest free number, so "eth%d" is created as "eth0"; any other "%" ' +
  "is refused)";

/** A dummy link named `name` added to ns1. */
const dummy = (name: string) => edited((m) => (ns1(m).links[name] = { kind: "dummy" }));
/** ns1 renamed `name`, references to it included. */
const namespace = (name: string) =>
  edited((m) => {
    m.namespaces[name] = m.namespaces.ns1;
    delete m.namespaces.ns1;
  });

/** Characters a terminal would interpret, in each kind of name. */
const UNSAFE: Case[] = [
  {
    name: "a namespace name with ESC [8m and a newline (the issue's example)",
    value: namespace("ns\x1b[8m\nPlan: 0 to add, 0 to change, 0 to destroy."),
    path: formatPath(["namespaces", "ns\x1b[8m\nPlan: 0 to add, 0 to change, 0 to destroy."]),
    message:
      'Namespace name "ns\\u001b[8m\\nPlan: 0 to add, 0 to change, 0 to destroy." contains U+001B (escape), a control character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a namespace name with a carriage return",
    value: namespace("ns1\rApply complete!"),
    path: "namespaces.ns1\rApply complete!",
    message:
      'Namespace name "ns1\\rApply complete!" contains U+000D (carriage return), a control character',
    hint: "namespaces are files under /run/netns",
  },
  {
    name: "a namespace name with a right-to-left override",
    value: namespace("ns\u202e1sn"),
    path: "namespaces.ns\u202e1sn",
    message:
      'Namespace name "ns\\u202e1sn" contains U+202E (right-to-left override), a bidirectional formatting character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a namespace name with a zero width space",
    value: namespace("ns\u200b1"),
    path: "namespaces.ns\u200b1",
    message:
      'Namespace name "ns\\u200b1" contains U+200B (zero width space), an invisible format character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a namespace name with a line separator",
    value: namespace("ns1\u2028Plan"),
    path: "namespaces.ns1\u2028Plan",
    message: 'Namespace name "ns1\\u2028Plan" contains U+2028 (line separator), a line break',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a namespace name with half a surrogate pair",
    value: namespace("ns\ud8001"),
    path: "namespaces.ns\ud8001",
    message:
      'Namespace name "ns\\ud8001" contains U+D800, half of a surrogate pair without the other half',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a link name with a C1 control sequence introducer",
    value: dummy("d\x9b8m"),
    path: "namespaces.ns1.links.d\x9b8m",
    message:
      'Link name "d\\u009b8m" contains U+009B (control sequence introducer), a control character',
    hint: LINK_HINT,
  },
  {
    name: "a link name with DEL",
    value: dummy("d\x7f0"),
    path: "namespaces.ns1.links.d\x7f0",
    message: 'Link name "d\\u007f0" contains U+007F (delete), a control character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a link name with a left-to-right isolate",
    value: dummy("d\u20660"),
    path: "namespaces.ns1.links.d\u20660",
    message:
      'Link name "d\\u20660" contains U+2066 (left-to-right isolate), a bidirectional formatting character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a link name with an Arabic letter mark",
    value: dummy("d\u061c0"),
    path: "namespaces.ns1.links.d\u061c0",
    message:
      'Link name "d\\u061c0" contains U+061C (Arabic letter mark), a bidirectional formatting character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a link name with a soft hyphen",
    value: dummy("d\u00ad0"),
    path: "namespaces.ns1.links.d\u00ad0",
    message: 'Link name "d\\u00ad0" contains U+00AD (soft hyphen), an invisible format character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a link name with a tab",
    value: dummy("d\t0"),
    path: "namespaces.ns1.links.d\t0",
    message: 'Link name "d\\t0" contains U+0009 (tab), a control character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a link name with a tag character (outside the BMP)",
    value: dummy("d\u{e0041}"),
    path: "namespaces.ns1.links.d\u{e0041}",
    message: 'Link name "d\\udb40\\udc41" contains U+E0041, an invisible format character',
    hint: PRINTABLE_HINT,
  },
  {
    name: "a topology name with NUL",
    value: edited((m) => (m.name = "web\0host")),
    path: "name",
    message: 'Topology name "web\\u0000host" contains U+0000 (NUL), a control character',
    hint: "use 1 to 200 letters",
  },
  {
    name: "a topology name with a zero width joiner",
    value: edited((m) => (m.name = "web\u200dhost")),
    path: "name",
    message:
      'Topology name "web\\u200dhost" contains U+200D (zero width joiner), an invisible format character',
    hint: "use 1 to 200 letters",
  },
];

/** Other strings of the manifest, which reach the terminal in error messages. */
const OTHER_STRINGS: Case[] = [
  {
    name: "a parent reference with ESC",
    value: edited((m) => (ns1(m).links.ipvl1.parent = "root/eth0\x1b[2J")),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Parent "root/eth0\\u001b[2J" contains U+001B (escape), a control character',
    hint: PRINTABLE_HINT,
    issues: 2,
  },
  {
    name: "a veth peer reference with a newline",
    value: edited((m) => (root(m).links.veth0.peer = "ns2/veth1\nPlan: 0 to add")),
    path: "namespaces.root.links.veth0.peer",
    message: 'Peer "ns2/veth1\\nPlan: 0 to add" contains U+000A (line feed), a control character',
    hint: PRINTABLE_HINT,
    issues: 2,
  },
  {
    name: "a master reference with a right-to-left mark",
    value: edited((m) => (root(m).links.veth0.master = "br0\u200f")),
    path: "namespaces.root.links.veth0.master",
    message:
      'Master "br0\\u200f" contains U+200F (right-to-left mark), a bidirectional formatting character',
    hint: PRINTABLE_HINT,
    issues: 2,
  },
  {
    name: "a route device with a next line control",
    value: edited((m) => (ns2(m).routes[0].dev = "veth1\x85")),
    path: "namespaces.ns2.routes[0].dev",
    message: 'Route device "veth1\\u0085" contains U+0085 (next line), a control character',
    hint: PRINTABLE_HINT,
    issues: 2,
  },
  {
    name: "an address with a byte order mark",
    value: edited((m) => (ns1(m).links.ipvl1.addresses = ["\ufeff192.168.9.2/24"])),
    path: "namespaces.ns1.links.ipvl1.addresses[0]",
    message:
      'Address "\\ufeff192.168.9.2/24" contains U+FEFF (zero width no-break space), an invisible format character',
    hint: PRINTABLE_HINT,
    issues: 2,
  },
  {
    name: "a gateway with a pop directional isolate",
    value: edited((m) => (ns1(m).routes[0].via = "192.168.9.254\u2069")),
    path: "namespaces.ns1.routes[0].via",
    message:
      'Gateway "192.168.9.254\\u2069" contains U+2069 (pop directional isolate), a bidirectional formatting character',
    hint: PRINTABLE_HINT,
    issues: 2,
  },
];

/** Link names with "%", which the kernel reads as a template. */
const PERCENT_CASES: Case[] = [
  {
    name: 'a link named "eth%d" (the kernel would create "eth0")',
    value: dummy("eth%d"),
    path: "namespaces.ns1.links.eth%d",
    message: `Link name "eth%d"${PERCENT}`,
    hint: LINK_HINT,
  },
  {
    name: 'a link named "%d"',
    value: dummy("%d"),
    path: "namespaces.ns1.links.%d",
    message: `Link name "%d"${PERCENT}`,
    hint: LINK_HINT,
  },
  {
    name: 'a link named "a%s" (the kernel refuses it)',
    value: dummy("a%s"),
    path: "namespaces.ns1.links.a%s",
    message: `Link name "a%s"${PERCENT}`,
    hint: LINK_HINT,
  },
  {
    name: 'a link named "50%"',
    value: dummy("50%"),
    path: "namespaces.ns1.links.50%",
    message: `Link name "50%"${PERCENT}`,
    hint: LINK_HINT,
  },
  {
    name: 'a link named "a%%"',
    value: dummy("a%%"),
    path: "namespaces.ns1.links.a%%",
    message: `Link name "a%%"${PERCENT}`,
    hint: LINK_HINT,
  },
  {
    name: 'a veth end named "v%d1" in the root namespace',
    value: edited((m) => {
      root(m).links["v%d1"] = root(m).links.veth0;
      delete root(m).links.veth0;
      ns2(m).links.veth1.peer = "root/v%d1";
    }),
    path: "namespaces.root.links.v%d1",
    message: `Link name "v%d1"${PERCENT}`,
    hint: LINK_HINT,
  },
];

/** Bytes the kernel's isspace() is true for, inside a UTF-8 name. */
const KERNEL_SPACES: Case[] = [
  {
    name: 'a link name with "à" (C3 A0)',
    value: dummy("và0"),
    path: "namespaces.ns1.links.và0",
    message:
      'Link name "và0" contains "à" (U+00E0), whose UTF-8 encoding has the byte 0xA0, which the kernel counts as a space',
    hint: LINK_HINT,
  },
  {
    name: 'a link name with the Cyrillic "Р" (D0 A0)',
    value: dummy("Р0"),
    path: "namespaces.ns1.links.Р0",
    message:
      'Link name "Р0" contains "Р" (U+0420), whose UTF-8 encoding has the byte 0xA0, which the kernel counts as a space',
    hint: LINK_HINT,
  },
  {
    name: "a link name with a no-break space (C2 A0)",
    value: dummy("v\u00a00"),
    path: "namespaces.ns1.links.v\u00a00",
    message:
      'Link name "v\u00a00" contains "\u00a0" (U+00A0), whose UTF-8 encoding has the byte 0xA0, which the kernel counts as a space',
    hint: LINK_HINT,
  },
  {
    name: 'a link name with "Ġ" (C4 A0)',
    value: dummy("vĠ"),
    path: "namespaces.ns1.links.vĠ",
    message:
      'Link name "vĠ" contains "Ġ" (U+0120), whose UTF-8 encoding has the byte 0xA0, which the kernel counts as a space',
    hint: LINK_HINT,
  },
  {
    name: "a link name with a space",
    value: dummy("v 0"),
    path: "namespaces.ns1.links.v 0",
    message: 'Link name "v 0" contains "/", ":" or whitespace',
    hint: LINK_HINT,
  },
];

async function assertRefused(t: Deno.TestContext, cases: Case[]): Promise<void> {
  assert.ok(cases.length >= 5, `only ${cases.length} cases`);
  for (const c of cases) {
    await t.step(c.name, () => {
      const issues = validateTopology(c.value);
      assert.equal(issues.length, c.issues ?? 1, JSON.stringify(issues, null, 2));
      const issue = issues.find((i) => i.path === c.path);
      assert.ok(issue, `no issue at ${c.path}: ${JSON.stringify(issues, null, 2)}`);
      assert.equal(issue.message, c.message);
      assert.ok(issue.hint?.includes(c.hint), `hint: ${issue.hint}`);
      // The message itself is terminal-safe: the name in it is quoted with escapes.
      assert.equal(findUnsafeCharacter(issue.message), undefined, issue.message);
      assert.throws(
        () => validateManifestValue("cases/bad.ts", c.value),
        (e) => e instanceof ManifestError && e.issues.some((i) => i.message === c.message),
      );
    });
  }
}

Deno.test("validate refuses every name that holds a character a terminal would interpret, naming it by code point", async (t) => {
  await assertRefused(t, UNSAFE);
});

Deno.test("validate refuses such characters in references, addresses and route fields too", async (t) => {
  await assertRefused(t, OTHER_STRINGS);
});

Deno.test('validate refuses a "%" in a link name, which the kernel reads as a template', async (t) => {
  await assertRefused(t, PERCENT_CASES);
});

Deno.test("validate refuses a link name with a byte the kernel counts as a space, inside UTF-8 too", async (t) => {
  await assertRefused(t, KERNEL_SPACES);
});

Deno.test("validate accepts printable names the kernel accepts", async (t) => {
  const cases: { name: string; value: Loose }[] = [
    { name: "a link of 15 ASCII bytes", value: dummy("abcdefghijklmno") },
    { name: "a link with umlauts (no 0xA0 byte)", value: dummy("dümmy0") },
    { name: "a link with an ideographic space (E3 80 80)", value: dummy("d\u30000") },
    { name: "a link with a combining accent", value: dummy("e\u0301x") },
    { name: "a link with an emoji", value: dummy("br🌐") },
    { name: "a namespace with a space", value: namespace("tenant a") },
    { name: "a namespace with a dollar sign and quotes", value: namespace('ns"$1') },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(validateTopology(c.value), []));
  }
});

Deno.test("the kernel's interface name rule matches what this host's kernel did", async (t) => {
  // Tried on 6.18 with `ip link add NAME type bridge` (see src/model/names.ts).
  const cases: [string, string | undefined][] = [
    ["a\x1bb", undefined],
    ["a\x7fb", undefined],
    ["a\u0085b", undefined],
    ["a\u202eb", undefined],
    ["a\u3000", undefined],
    ["a b", "space"],
    ["Р", "space"],
    ["xà", "space"],
    ["eth0:1", "separator"],
    ["..", "dot"],
    ["abcdefghijklmnop", "too long"],
  ];
  for (const [name, problem] of cases) {
    await t.step(quote(name), () => assert.equal(kernelNameProblem(name)?.problem, problem));
  }
});

Deno.test("quote escapes what a terminal would interpret and stays valid JSON", async (t) => {
  const cases: [string, string][] = [
    ["ns1", '"ns1"'],
    ["a\x1b[8mb", '"a\\u001b[8mb"'],
    ["a\nb\r\t", '"a\\nb\\r\\t"'],
    ["\x9b31m\x7f", '"\\u009b31m\\u007f"'],
    ["\u202eevil\u2066", '"\\u202eevil\\u2066"'],
    ["\u2028\u2029\u200b", '"\\u2028\\u2029\\u200b"'],
    ['say "hi" \\', '"say \\"hi\\" \\\\"'],
    ["d\u{e0041}", '"d\\udb40\\udc41"'],
  ];
  for (const [text, quoted] of cases) {
    await t.step(escapeUnsafe(text), () => {
      assert.equal(quote(text), quoted);
      assert.equal(JSON.parse(quote(text)), text);
    });
  }
});
