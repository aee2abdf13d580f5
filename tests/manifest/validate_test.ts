import assert from "node:assert/strict";
import { ManifestError } from "../../src/errors.ts";
import { validateManifestValue } from "../../src/manifest/load.ts";
import { validateTopology } from "../../src/manifest/validate.ts";
import { baseManifest, edited, type Loose } from "./_fixtures.ts";

interface InvalidCase {
  name: string;
  value: Loose;
  path: string;
  message: string;
}

const ns1 = (m: Loose) => m.namespaces.ns1;
const ns2 = (m: Loose) => m.namespaces.ns2;
const root = (m: Loose) => m.namespaces.root;

/** One manifest per rule, each with the one issue it must produce. */
const INVALID: InvalidCase[] = [
  // Shape (zod)
  {
    name: "a default export that is not an object",
    value: 42,
    path: "",
    message: "The default export must be a topology object, got the number 42",
  },
  {
    name: "a misspelled top-level key",
    value: edited((m) => (m.nmae = "typo")),
    path: "nmae",
    message: 'Unknown key "nmae"',
  },
  {
    name: "a missing topology name",
    value: edited((m) => delete m.name),
    path: "name",
    message: 'Missing required key "name"',
  },
  {
    name: "namespaces given as an array",
    value: edited((m) => (m.namespaces = [])),
    path: "namespaces",
    message: "Expected a record, got an array",
  },
  {
    name: "an unknown key in a namespace",
    value: edited((m) => (ns1(m).link = {})),
    path: "namespaces.ns1.link",
    message: 'Unknown key "link"',
  },
  {
    name: "an unknown link kind",
    value: edited((m) => (ns1(m).links.ipvl1.kind = "ipvlan2")),
    path: "namespaces.ns1.links.ipvl1.kind",
    message: 'Unknown link kind "ipvlan2"',
  },
  {
    name: "a link without a kind",
    value: edited((m) => delete ns1(m).links.ipvl1.kind),
    path: "namespaces.ns1.links.ipvl1.kind",
    message: 'Missing "kind"',
  },
  {
    name: "a misspelled link key",
    value: edited((m) => (ns1(m).links.ipvl1.adresses = [])),
    path: "namespaces.ns1.links.ipvl1.adresses",
    message: 'Unknown key "adresses" on a link of kind "ipvlan"',
  },
  {
    name: "an ipvlan mode on the slave instead of the parent",
    value: edited((m) => (ns1(m).links.ipvl1.mode = "l2")),
    path: "namespaces.ns1.links.ipvl1.mode",
    message: 'Unknown key "mode" on a link of kind "ipvlan"',
  },
  {
    name: "a parent on a dummy link",
    value: edited((m) => (ns1(m).links.d0 = { kind: "dummy", parent: "root/eth0" })),
    path: "namespaces.ns1.links.d0.parent",
    message: 'Unknown key "parent" on a link of kind "dummy"',
  },
  {
    name: "an ipvlan link without a parent",
    value: edited((m) => delete ns1(m).links.ipvl1.parent),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Missing required key "parent"',
  },
  {
    name: "an unknown ipvlan mode on the parent",
    value: edited((m) => (root(m).links.eth0.ipvlan = { mode: "l4" })),
    path: "namespaces.root.links.eth0.ipvlan.mode",
    message: 'Invalid mode "l4"',
  },
  {
    name: "unknown ipvlan flags on the parent",
    value: edited((m) => (root(m).links.eth0.ipvlan = { flags: "bridged" })),
    path: "namespaces.root.links.eth0.ipvlan.flags",
    message: 'Invalid flags "bridged"',
  },
  {
    name: "an unknown macvlan mode",
    value: edited((m) => (ns2(m).links.mv0.mode = "vepa2")),
    path: "namespaces.ns2.links.mv0.mode",
    message: 'Invalid mode "vepa2"',
  },
  {
    name: "an MTU below 68",
    value: edited((m) => (ns1(m).links.ipvl1.mtu = 67)),
    path: "namespaces.ns1.links.ipvl1.mtu",
    message: "MTU must be between 68 and 65535",
  },
  {
    name: "an MTU above 65535 on an ipvlan link",
    value: edited((m) => (ns1(m).links.ipvl1.mtu = 65536)),
    path: "namespaces.ns1.links.ipvl1.mtu",
    message: "MTU must be between 68 and 65535",
  },
  {
    name: "a fractional MTU",
    value: edited((m) => (ns1(m).links.ipvl1.mtu = 1500.5)),
    path: "namespaces.ns1.links.ipvl1.mtu",
    message: "MTU must be a whole number",
  },
  {
    name: "up given as a string",
    value: edited((m) => (ns1(m).links.ipvl1.up = "yes")),
    path: "namespaces.ns1.links.ipvl1.up",
    message: 'Expected a boolean, got the string "yes"',
  },
  {
    name: "addresses given as a string",
    value: edited((m) => (ns1(m).links.ipvl1.addresses = "192.168.9.2/24")),
    path: "namespaces.ns1.links.ipvl1.addresses",
    message: 'Expected an array, got the string "192.168.9.2/24"',
  },
  {
    name: "a route without a destination",
    value: edited((m) => delete ns1(m).routes[0].to),
    path: "namespaces.ns1.routes[0].to",
    message: 'Missing required key "to"',
  },
  {
    name: "an unknown route key",
    value: edited((m) => (ns1(m).routes[0].gw = "192.168.9.254")),
    path: "namespaces.ns1.routes[0].gw",
    message: 'Unknown key "gw"',
  },
  {
    name: "an unknown route type",
    value: edited((m) => (ns1(m).routes[0].type = "local")),
    path: "namespaces.ns1.routes[0].type",
    message: 'Invalid type "local"',
  },
  {
    name: "an unknown route scope",
    value: edited((m) => (ns1(m).routes[0].scope = "global")),
    path: "namespaces.ns1.routes[0].scope",
    message: 'Invalid scope "global"',
  },
  {
    name: "a misspelled table name",
    value: edited((m) => (ns1(m).routes[0].table = "mian")),
    path: "namespaces.ns1.routes[0].table",
    message: 'table must be "main", "local", "default" or a number',
  },
  {
    name: "table 0",
    value: edited((m) => (ns1(m).routes[0].table = 0)),
    path: "namespaces.ns1.routes[0].table",
    message: 'table must be "main", "local", "default" or a number from 1',
  },
  {
    name: "a negative metric",
    value: edited((m) => (ns1(m).routes[0].metric = -1)),
    path: "namespaces.ns1.routes[0].metric",
    message: "metric must be between 0 and 4294967295",
  },
  // Names
  {
    name: "an empty topology name",
    value: edited((m) => (m.name = "")),
    path: "name",
    message: "Topology name is empty",
  },
  {
    name: "a topology name with a space",
    value: edited((m) => (m.name = "my host")),
    path: "name",
    message: 'Topology name "my host" contains characters other than letters',
  },
  {
    name: "a topology name of 201 bytes",
    value: edited((m) => (m.name = "a".repeat(201))),
    path: "name",
    message: "Topology name is 201 bytes long, more than 200",
  },
  {
    name: 'a namespace named ".."',
    value: edited((m) => (m.namespaces[".."] = {})),
    path: "namespaces...",
    message: 'Namespace name ".." is not a valid file name',
  },
  {
    name: 'a namespace name with "/"',
    value: edited((m) => (m.namespaces["a/b"] = {})),
    path: "namespaces.a/b",
    message: 'Namespace name "a/b" contains "/"',
  },
  {
    name: "a namespace name of 256 bytes",
    value: edited((m) => (m.namespaces["n".repeat(256)] = {})),
    path: `namespaces.${"n".repeat(256)}`,
    message: "Namespace name is 256 bytes long, more than 255",
  },
  {
    name: "a link name of 16 bytes",
    value: edited((m) => (ns1(m).links["abcdefghijklmnop"] = { kind: "dummy" })),
    path: "namespaces.ns1.links.abcdefghijklmnop",
    message: 'Link name "abcdefghijklmnop" is 16 bytes long, more than 15',
  },
  {
    name: "a link name of 15 characters but 16 bytes",
    value: edited((m) => (ns1(m).links["dümmy0123456789"] = { kind: "dummy" })),
    path: "namespaces.ns1.links.dümmy0123456789",
    message: "16 bytes long, more than 15",
  },
  {
    name: 'a link name with ":"',
    value: edited((m) => (ns1(m).links["eth0:1"] = { kind: "dummy" })),
    path: "namespaces.ns1.links.eth0:1",
    message: 'Link name "eth0:1" contains "/", ":" or whitespace',
  },
  {
    name: "a link name with a space",
    value: edited((m) => (ns1(m).links["my link"] = { kind: "dummy" })),
    path: "namespaces.ns1.links.my link",
    message: 'Link name "my link" contains "/", ":" or whitespace',
  },
  {
    name: 'an "existing" link named lo in the root namespace',
    value: edited((m) => (root(m).links.lo = { kind: "existing" })),
    path: "namespaces.root.links.lo.kind",
    message: 'Link "lo" must be of kind "loopback", not "existing"',
  },
  {
    name: "a loopback link not named lo",
    value: edited((m) => (ns1(m).links.lo0 = { kind: "loopback" })),
    path: "namespaces.ns1.links.lo0.kind",
    message: 'Only "lo" can be of kind "loopback", not "lo0"',
  },
  // References and stacking
  {
    name: "an ipvlan parent that is not declared",
    value: edited((m) => (ns1(m).links.ipvl1.parent = "root/eth9")),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Parent "root/eth9" is not declared',
  },
  {
    name: "a parent in a namespace that is not declared",
    value: edited((m) => (ns1(m).links.ipvl1.parent = "ns9/eth0")),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Parent "ns9/eth0" is in namespace "ns9", which is not declared',
  },
  {
    name: "a bare parent name that is not in the slave's namespace",
    value: edited((m) => (ns1(m).links.ipvl1.parent = "eth0")),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Parent "ns1/eth0" is not declared',
  },
  {
    name: "a malformed reference",
    value: edited((m) => (ns1(m).links.ipvl1.parent = "root/eth0/x")),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Parent "root/eth0/x" is not a link reference',
  },
  {
    name: "an ipvlan link that is its own parent",
    value: edited((m) => (ns1(m).links.ipvl1.parent = "ipvl1")),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: '"ipvl1" names itself as its parent',
  },
  {
    name: "an ipvlan on lo",
    value: edited((m) => {
      ns1(m).links.lo = { kind: "loopback" };
      ns1(m).links.ipvl1.parent = "lo";
    }),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Parent "ns1/lo" is a loopback; the kernel refuses a ipvlan on lo (EINVAL)',
  },
  {
    name: "an ipvlan on a bridge port",
    value: edited((m) => (ns1(m).links.ipvl1.parent = "root/veth0")),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Parent "root/veth0" is a port of bridge "br0"',
  },
  {
    name: "an ipvlan on another ipvlan link",
    value: edited((m) => (ns1(m).links.ipvl1.parent = "ns2/ipvl2")),
    path: "namespaces.ns1.links.ipvl1.parent",
    message: 'Parent "ns2/ipvl2" is itself an ipvlan link',
  },
  {
    name: "an ipvlan on the parent of a macvlan",
    value: edited((m) => {
      m.namespaces.ns3 = { links: { ipvl3: { kind: "ipvlan", parent: "root/eth1" } } };
    }),
    path: "namespaces.ns3.links.ipvl3.parent",
    message: 'Parent "root/eth1" is also the parent of macvlan "ns2/mv0"',
  },
  {
    name: "a macvlan on the parent of ipvlan links",
    value: edited((m) => (ns2(m).links.mv0.parent = "root/eth0")),
    path: "namespaces.ns2.links.mv0.parent",
    message: 'Parent "root/eth0" is also the parent of ipvlan "ns1/ipvl1"',
  },
  {
    name: "a macvlan on an ipvlan link",
    value: edited((m) => (ns2(m).links.mv0.parent = "ipvl2")),
    path: "namespaces.ns2.links.mv0.parent",
    message: 'Parent "ns2/ipvl2" is itself an ipvlan link',
  },
  {
    name: "a macvlan with a larger MTU than its parent",
    value: edited((m) => (ns2(m).links.mv0.mtu = 9000)),
    path: "namespaces.ns2.links.mv0.mtu",
    message: 'MTU 9000 is larger than the MTU 1500 of parent "root/eth1"',
  },
  {
    name: "a passthru macvlan that shares its parent",
    value: edited((m) => {
      ns2(m).links.mv0.mode = "passthru";
      ns1(m).links.mv1 = { kind: "macvlan", parent: "root/eth1" };
    }),
    path: "namespaces.ns2.links.mv0.mode",
    message: 'A passthru macvlan must be the only macvlan on parent "root/eth1"',
  },
  {
    name: "a bridge master that is not declared",
    value: edited((m) => (root(m).links.veth0.master = "br9")),
    path: "namespaces.root.links.veth0.master",
    message: 'Master "br9" is not declared in namespace "root"',
  },
  {
    name: "a bridge master in another namespace",
    value: edited((m) => (ns2(m).links.veth1.master = "root/br0")),
    path: "namespaces.ns2.links.veth1.master",
    message: 'Master "root/br0" must be a bridge in the same namespace',
  },
  {
    name: "a master that is not a bridge",
    value: edited((m) => (root(m).links.veth0.master = "eth1")),
    path: "namespaces.root.links.veth0.master",
    message: 'Master "eth1" is of kind "existing", not "bridge"',
  },
  {
    name: "a bridge that is its own master",
    value: edited((m) => (root(m).links.br0.master = "br0")),
    path: "namespaces.root.links.br0.master",
    message: '"br0" names itself as its master',
  },
  {
    name: "a bridge in a bridge",
    value: edited((m) => (root(m).links.br1 = { kind: "bridge", master: "br0" })),
    path: "namespaces.root.links.br1.master",
    message: 'Bridge "br1" cannot be a port of bridge "br0" (ELOOP)',
  },
  {
    name: "an ipvlan link as a bridge port",
    value: edited((m) => {
      ns1(m).links.br1 = { kind: "bridge" };
      ns1(m).links.ipvl1.master = "br1";
    }),
    path: "namespaces.ns1.links.ipvl1.master",
    message: "A ipvlan link cannot be a bridge port; the kernel refuses it (EINVAL)",
  },
  {
    name: "a veth peer that is not declared",
    value: edited((m) => (root(m).links.veth0.peer = "ns2/veth9")),
    path: "namespaces.root.links.veth0.peer",
    message: 'Peer "ns2/veth9" is not declared',
  },
  {
    name: "a veth peer that is not a veth",
    value: edited((m) => (root(m).links.veth0.peer = "eth1")),
    path: "namespaces.root.links.veth0.peer",
    message: 'Peer "root/eth1" is of kind "existing", not "veth"',
  },
  {
    name: "veth ends that do not name each other",
    value: edited((m) => {
      ns2(m).links.veth2 = { kind: "veth", peer: "root/veth0" };
      root(m).links.veth0.peer = "ns2/veth2";
    }),
    path: "namespaces.ns2.links.veth1.peer",
    message: 'Peer "root/veth0" names "ns2/veth2" as its peer, not "ns2/veth1"',
  },
  {
    name: "a veth that is its own peer",
    value: edited((m) => (ns1(m).links.v0 = { kind: "veth", peer: "v0" })),
    path: "namespaces.ns1.links.v0.peer",
    message: '"v0" names itself as its peer',
  },
  {
    name: "ipvlan settings on a link without ipvlan slaves",
    value: edited((m) => (root(m).links.eth1.ipvlan = { mode: "l2" })),
    path: "namespaces.root.links.eth1.ipvlan",
    message: '"eth1" has ipvlan settings but is not the parent of any ipvlan link',
  },
  // Addresses
  {
    name: "one address on two ipvlan links of one parent in different namespaces",
    value: edited((m) => (ns2(m).links.ipvl2.addresses = ["192.168.9.2/25"])),
    path: "namespaces.ns2.links.ipvl2.addresses[0]",
    message: "Address already assigned to an ipvlan device (EADDRINUSE)",
  },
  {
    name: "one address twice on a link",
    value: edited((m) => ns2(m).links.veth1.addresses.push("fd00:0::2/48")),
    path: "namespaces.ns2.links.veth1.addresses[2]",
    message: 'Address fd00::2 is listed twice on "veth1" (addresses[1])',
  },
  {
    name: "an address with an octet above 255",
    value: edited((m) => (ns1(m).links.ipvl1.addresses = ["192.168.9.300/24"])),
    path: "namespaces.ns1.links.ipvl1.addresses[0]",
    message: 'Address "192.168.9.300/24" is not a CIDR',
  },
  {
    name: "an address without a prefix length",
    value: edited((m) => (ns1(m).links.ipvl1.addresses = ["192.168.9.2"])),
    path: "namespaces.ns1.links.ipvl1.addresses[0]",
    message: 'Address "192.168.9.2" is not a CIDR',
  },
  {
    name: "an address with a prefix length above 32",
    value: edited((m) => (ns1(m).links.ipvl1.addresses = ["192.168.9.2/33"])),
    path: "namespaces.ns1.links.ipvl1.addresses[0]",
    message: 'Address "192.168.9.2/33" is not a CIDR',
  },
  {
    name: "an IPv6 address with a zone",
    value: edited((m) => (ns2(m).links.veth1.addresses[1] = "fe80::1%veth1/64")),
    path: "namespaces.ns2.links.veth1.addresses[1]",
    message: 'Address "fe80::1%veth1/64" is not a CIDR',
  },
  {
    name: "an IPv6 address on a link with an MTU below 1280",
    value: edited((m) => (ns2(m).links.veth1.mtu = 1000)),
    path: "namespaces.ns2.links.veth1.mtu",
    message: "MTU 1000 is below 1280, the IPv6 minimum",
  },
  // Routes
  {
    name: "a destination that is not a CIDR",
    value: edited((m) => (ns1(m).routes[0].to = "10.1.0.0/16x")),
    path: "namespaces.ns1.routes[0].to",
    message: 'Destination "10.1.0.0/16x" is not "default", a CIDR or an IP address',
  },
  {
    name: "a gateway that is not an IP address",
    value: edited((m) => (ns1(m).routes[0].via = "192.168.9")),
    path: "namespaces.ns1.routes[0].via",
    message: 'Gateway "192.168.9" is not an IP address',
  },
  {
    name: "a gateway written as a CIDR",
    value: edited((m) => (ns1(m).routes[0].via = "192.168.9.254/24")),
    path: "namespaces.ns1.routes[0].via",
    message: 'Gateway "192.168.9.254/24" is not an IP address',
  },
  {
    name: "a source that is not an IP address",
    value: edited((m) => (ns1(m).routes[0].src = "me")),
    path: "namespaces.ns1.routes[0].src",
    message: 'Source "me" is not an IP address',
  },
  {
    name: "an IPv4 gateway on an IPv6 destination",
    value: edited((m) => (ns2(m).routes[1].via = "10.9.0.1")),
    path: "namespaces.ns2.routes[1].via",
    message: "Gateway 10.9.0.1 is IPv4 but the route is IPv6",
  },
  {
    name: "a source of the other family than the gateway",
    value: edited((m) => (ns2(m).routes[0].src = "fd00::2")),
    path: "namespaces.ns2.routes[0].src",
    message: "Source fd00::2 is IPv6 but the route is IPv4",
  },
  {
    name: "a gateway outside every connected subnet (the seed case)",
    value: edited((m) => (ns2(m).routes[0] = { to: "default", via: "10.138.36.66", dev: "ipvl2" })),
    path: "namespaces.ns2.routes[0].via",
    message: 'Gateway 10.138.36.66 is not inside any subnet of "ipvl2"',
  },
  {
    name: "a gateway outside the subnets of the namespace",
    value: edited((m) => (ns1(m).routes[0].via = "10.138.36.66")),
    path: "namespaces.ns1.routes[0].via",
    message: "Nexthop has invalid gateway",
  },
  {
    name: "a gateway on another link's subnet than dev",
    value: edited((m) => (ns2(m).routes[0].dev = "ipvl2")),
    path: "namespaces.ns2.routes[0].via",
    message: 'Gateway 10.9.0.1 is not inside any subnet of "ipvl2"',
  },
  {
    name: "a gateway that is a local address",
    value: edited((m) => (ns1(m).routes[0].via = "192.168.9.2")),
    path: "namespaces.ns1.routes[0].via",
    message: "Gateway can not be a local address",
  },
  {
    name: "a link-local IPv6 gateway without dev",
    value: edited((m) => (ns2(m).routes[1].via = "fe80::1")),
    path: "namespaces.ns2.routes[1].via",
    message: "Gateway fe80::1 is link-local, so the route needs dev",
  },
  {
    name: "a gateway on a route with host scope",
    value: edited((m) => (ns1(m).routes[0].scope = "host")),
    path: "namespaces.ns1.routes[0].via",
    message: 'A route with scope "host" cannot have a gateway',
  },
  {
    name: "a source that is not an address of the namespace",
    value: edited((m) => (ns1(m).routes[0].src = "192.168.9.3")),
    path: "namespaces.ns1.routes[0].src",
    message: 'Source 192.168.9.3 is not an address of any link in namespace "ns1"',
  },
  {
    name: "a blackhole route with a gateway",
    value: edited((m) => (ns2(m).routes[2].via = "10.9.0.1")),
    path: "namespaces.ns2.routes[2].via",
    message: "A blackhole route takes no via",
  },
  {
    name: "an unreachable route with a device",
    value: edited((
      m,
    ) => (ns2(m).routes[2] = { to: "10.31.0.0/16", type: "unreachable", dev: "veth1" })),
    path: "namespaces.ns2.routes[2].dev",
    message: "A unreachable route takes no dev",
  },
  {
    name: "a unicast route with neither gateway nor device",
    value: edited((m) => delete ns1(m).routes[0].via),
    path: "namespaces.ns1.routes[0]",
    message: 'Route to "default" has neither via nor dev',
  },
  {
    name: "a route device that is not declared in the namespace",
    value: edited((m) => (ns1(m).routes[0].dev = "eth0")),
    path: "namespaces.ns1.routes[0].dev",
    message: 'Device "eth0" is not declared in namespace "ns1"',
  },
  {
    name: "two routes with the same table, destination and metric",
    value: edited((m) => ns1(m).routes.push({ to: "0.0.0.0/0", via: "192.168.9.253", metric: 0 })),
    path: "namespaces.ns1.routes[1]",
    message:
      'Route to "0.0.0.0/0" duplicates routes[0]: same table "main", destination and metric 0',
  },
  {
    name: "two IPv6 routes that differ only in the host part of the destination",
    value: edited((m) => ns2(m).routes.push({ to: "::1/0", via: "fd00::3" })),
    path: "namespaces.ns2.routes[3]",
    message: 'Route to "::/0" duplicates routes[1]: same table "main", destination and metric 1024',
  },
];

Deno.test("validate accepts the base manifest", () => {
  assert.deepEqual(validateTopology(baseManifest()), []);
});

Deno.test("validate rejects each invalid manifest with the exact path and message", async (t) => {
  assert.ok(INVALID.length >= 45, `only ${INVALID.length} cases`);
  assert.equal(new Set(INVALID.map((c) => c.name)).size, INVALID.length, "case names repeat");
  for (const c of INVALID) {
    await t.step(`validate rejects ${c.name}`, () => {
      const issues = validateTopology(c.value);
      assert.equal(issues.length, 1, JSON.stringify(issues, null, 2));
      const [issue] = issues;
      assert.equal(issue!.path, c.path);
      assert.ok(
        issue!.message.includes(c.message),
        `expected "${c.message}" in "${issue!.message}"`,
      );
      assert.ok(issue!.hint, `no hint for ${c.name}`);
      assert.throws(
        () => validateManifestValue("cases/bad.ts", c.value),
        (error) =>
          error instanceof ManifestError && error.file === "cases/bad.ts" &&
          error.message.startsWith('Invalid manifest "cases/bad.ts": ') &&
          error.message.includes(c.message),
      );
    });
  }
});

Deno.test("validate reports every issue in a manifest, not just the first", () => {
  const issues = validateTopology(edited((m) => {
    m.name = "";
    ns1(m).links.ipvl1.parent = "root/eth9";
    ns1(m).routes[0].via = "10.138.36.66";
    ns2(m).links.mv0.mtu = 9000;
  }));
  assert.deepEqual(issues.map((i) => i.path), [
    "name",
    "namespaces.ns1.links.ipvl1.parent",
    "namespaces.ns2.links.mv0.mtu",
    "namespaces.ns1.routes[0].via",
  ]);
});

Deno.test("validate reports every schema issue at once", () => {
  const issues = validateTopology(edited((m) => {
    ns1(m).links.ipvl1.mtu = 10;
    ns1(m).routes[0].metric = "high";
  }));
  assert.deepEqual(issues.map((i) => i.path), [
    "namespaces.ns1.links.ipvl1.mtu",
    "namespaces.ns1.routes[0].metric",
  ]);
});

Deno.test("validate hints at the parent for an ipvlan mode set on the slave", () => {
  const [issue] = validateTopology(edited((m) => (ns1(m).links.ipvl1.flags = "private")));
  assert.match(issue!.hint!, /set ipvlan: \{ flags: … \} on "root\/eth0"/);
});

Deno.test("validate suggests the known key for a misspelled one", () => {
  const issues = validateTopology(edited((m) => {
    ns1(m).links.ipvl1.prent = ns1(m).links.ipvl1.parent;
    delete ns1(m).links.ipvl1.parent;
  }));
  const typo = issues.find((i) => i.path === "namespaces.ns1.links.ipvl1.prent");
  assert.equal(typo?.hint, 'did you mean "parent"?');
});

Deno.test("validate accepts valid manifests of several shapes", async (t) => {
  const VALID: Record<string, Loose> = {
    "the example from topology()": {
      name: "demo",
      namespaces: {
        root: { links: { eth0: { kind: "existing", ipvlan: { mode: "l2" } } } },
        ns0: {
          links: { ipvl0: { kind: "ipvlan", parent: "root/eth0", addresses: ["10.0.0.2/24"] } },
        },
      },
    },
    "an empty topology": { name: "empty", namespaces: {} },
    "namespaces without links or routes": { name: "n", namespaces: { ns1: {}, root: {} } },
    "optional keys given as undefined": edited((m) => {
      ns1(m).links.ipvl1.mtu = undefined;
      ns1(m).routes[0].metric = undefined;
    }),
    "the same address on ipvlan links of different parents": edited((m) => {
      root(m).links.eth1.addresses = ["192.168.9.10/24"];
      ns2(m).links.mv0 = { kind: "dummy" };
      ns1(m).links.ipvl9 = { kind: "ipvlan", parent: "root/eth1", addresses: ["192.168.9.3/24"] };
    }),
    "the parent's own address repeated on a slave": edited((m) => {
      ns1(m).links.ipvl1.addresses = ["192.168.9.1/24"];
      ns1(m).routes = [];
    }),
    "a link-local IPv6 gateway with dev": edited((m) => {
      ns2(m).routes[1] = { to: "::/0", via: "fe80::1", dev: "veth1" };
    }),
    "routes that differ only in metric or table": edited((m) => {
      ns1(m).routes.push({ to: "default", via: "192.168.9.253", metric: 10 });
      ns1(m).routes.push({ to: "default", via: "192.168.9.253", table: 100 });
      ns1(m).routes.push({ to: "default", via: "192.168.9.253", table: "local" });
    }),
    "a dev route and a host route": edited((m) => {
      ns1(m).routes.push({ to: "10.1.1.1", dev: "ipvl1", scope: "link", src: "192.168.9.2" });
    }),
    "a bridge port in a named namespace": edited((m) => {
      ns2(m).links.br1 = { kind: "bridge" };
      ns2(m).links.d0 = { kind: "dummy", master: "br1", mtu: 9000 };
    }),
    "a declared lo with addresses": edited((m) => {
      ns1(m).links.lo = { kind: "loopback", addresses: ["127.0.0.1/8", "::1/128"], up: true };
    }),
    "an ipvlan on a dummy in a named namespace": {
      name: "stack",
      namespaces: {
        ns1: {
          links: {
            d0: { kind: "dummy", ipvlan: { mode: "l3s", flags: "private" } },
            ipvl0: { kind: "ipvlan", parent: "d0", addresses: ["10.0.0.2/24"] },
          },
        },
        ns2: { links: { ipvl1: { kind: "ipvlan", parent: "ns1/d0", addresses: ["10.0.0.3/24"] } } },
      },
    },
  };
  for (const [name, value] of Object.entries(VALID)) {
    await t.step(`validate accepts ${name}`, () => assert.deepEqual(validateTopology(value), []));
  }
});
