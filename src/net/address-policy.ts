/**
 * Which IP addresses Herold may open a connection to.
 *
 * Threat: server-side request forgery (docs/research/hostile-inputs.md case 12). A remote actor controls every URL we
 * fetch (actor ids, key ids, NodeInfo links, media, redirects) and the DNS answers for its own names, so
 * it can point us at 127.0.0.1, the cloud metadata service (169.254.169.254), the database on 10.x, or
 * the same targets in disguise (IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6 forms; glitch-soc
 * was bitten by `::/96`). The check runs on the address we are about to connect to, after DNS, so a name
 * cannot hide what it points at.
 *
 * IPv6 is checked as an allow-list: only global unicast (2000::/3) is connectable, minus the special
 * blocks inside it. Everything outside 2000::/3 (loopback, unspecified, ::/96, 64:ff9b::/96, fc00::/7,
 * fe80::/10, fec0::/10, ff00::/8, 100::/64, 5f00::/16, ...) is refused without having to be listed, so a
 * range IANA assigns later cannot slip through. The one exception is IPv4-mapped `::ffff:a.b.c.d`,
 * which reaches the embedded IPv4 address on a dual-stack socket and is judged by that address.
 *
 * Anything that is not a canonical IP literal (octal, hex, short forms like `127.1`, zone ids) is
 * treated as forbidden: we never guess how some other parser would read it.
 */
import { isIPv4, isIPv6 } from "node:net";

/** IPv4 blocks IANA marks as not globally reachable, plus multicast and the deprecated 6to4 relay anycast. */
const FORBIDDEN_V4: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network"; Linux connects 0.0.0.0 to the local host
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT, often internal infrastructure
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata services
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // TEST-NET-1
  ["192.88.99.0", 24], // 6to4 relay anycast (deprecated): tunnels into other networks
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // TEST-NET-2
  ["203.0.113.0", 24], // TEST-NET-3
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, includes 255.255.255.255 broadcast
];

/** Special blocks inside global unicast 2000::/3 (everything outside it is refused anyway). */
const FORBIDDEN_V6_IN_GLOBAL: ReadonlyArray<readonly [string, number]> = [
  ["2001::", 23], // IETF protocol assignments: Teredo (2001::/32, embeds an obfuscated IPv4), benchmarking, ORCHID
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an IPv4 address (2002:7f00:1:: is 127.0.0.1 behind a relay)
  ["3fff::", 20], // documentation (RFC 9637)
];

const V4_RANGES = FORBIDDEN_V4.map(([base, bits]) => ({ base: parseIPv4(base)!, bits }));
const V6_RANGES = FORBIDDEN_V6_IN_GLOBAL.map(([base, bits]) => ({ base: toBigInt(parseIPv6(base)!), bits: BigInt(bits) }));
const GLOBAL_UNICAST = { base: toBigInt(parseIPv6("2000::")!), bits: 3n };

/**
 * True when Herold must not connect to `ip`. Accepts IPv4 dotted quads and IPv6 in any valid textual form
 * (compressed, upper case, embedded dotted IPv4, optionally in brackets). Non-IP text returns true.
 */
export function isForbiddenAddress(ip: string): boolean {
  const parsed = parseIp(ip);
  if (parsed === undefined) return true;
  if (parsed.kind === 4) return isForbiddenV4(parsed.value);
  const mapped = embeddedMappedV4(parsed.groups);
  if (mapped !== undefined) return isForbiddenV4(mapped);
  const value = toBigInt(parsed.groups);
  if (!inV6Range(value, GLOBAL_UNICAST.base, GLOBAL_UNICAST.bits)) return true;
  return V6_RANGES.some((range) => inV6Range(value, range.base, range.bits));
}

/**
 * One canonical spelling per address (dotted quad for IPv4 and IPv4-mapped IPv6, eight uncompressed
 * lower-case groups otherwise), so that `::1`, `0:0::1` and `[::0001]` compare equal. Undefined for non-IP text.
 */
export function canonicalAddress(ip: string): string | undefined {
  const parsed = parseIp(ip);
  if (parsed === undefined) return undefined;
  if (parsed.kind === 4) return formatIPv4(parsed.value);
  const mapped = embeddedMappedV4(parsed.groups);
  if (mapped !== undefined) return formatIPv4(mapped);
  return parsed.groups.map((g) => g.toString(16)).join(":");
}

/** An exact address and port that may be reached although its address is forbidden. */
export interface AddressEndpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * The connection policy shared by the URL check and the connector.
 *
 * `allowPrivateAddress` is the dev/test switch from config (every valid IP allowed). `allowedEndpoints`
 * is a narrow, explicit exception (address and port) so a test can reach exactly one loopback listener
 * while every other private address stays refused; production configuration never sets it.
 */
export interface AddressPolicy {
  readonly allowPrivateAddress: boolean;
  readonly allowedEndpoints?: readonly AddressEndpoint[];
}

/** True when a connection to `ip`:`port` is permitted by `policy`. Non-IP text is never permitted. */
export function isAddressAllowed(policy: AddressPolicy, ip: string, port: number): boolean {
  const canonical = canonicalAddress(ip);
  if (canonical === undefined) return false;
  if (!isForbiddenAddress(ip)) return true;
  if (policy.allowPrivateAddress) return true;
  return (policy.allowedEndpoints ?? []).some(
    (endpoint) => endpoint.port === port && canonicalAddress(endpoint.address) === canonical,
  );
}

type ParsedIp = { readonly kind: 4; readonly value: number } | { readonly kind: 6; readonly groups: readonly number[] };

function parseIp(text: string): ParsedIp | undefined {
  let ip = text;
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  // Zone ids only make sense for link-local addresses, which are forbidden anyway; refusing them
  // outright avoids reasoning about interface-scoped routing.
  if (ip.includes("%")) return undefined;
  if (isIPv4(ip)) {
    const value = parseIPv4(ip);
    return value === undefined ? undefined : { kind: 4, value };
  }
  const groups = parseIPv6(ip);
  return groups === undefined ? undefined : { kind: 6, groups };
}

function isForbiddenV4(value: number): boolean {
  return V4_RANGES.some(({ base, bits }) => value >>> (32 - bits) === base >>> (32 - bits));
}

/** The IPv4 address inside ::ffff:0:0/96, if `groups` is in that block. */
function embeddedMappedV4(groups: readonly number[]): number | undefined {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return undefined;
  if (groups[5] !== 0xffff) return undefined;
  return (((groups[6] ?? 0) << 16) | (groups[7] ?? 0)) >>> 0;
}

function inV6Range(value: bigint, base: bigint, bits: bigint): boolean {
  const shift = 128n - bits;
  return value >> shift === base >> shift;
}

/** Strict dotted quad (node:net's grammar: no leading zeros, no short forms) to an unsigned 32-bit number. */
function parseIPv4(text: string): number | undefined {
  if (!isIPv4(text)) return undefined;
  const parts = text.split(".").map(Number);
  if (parts.length !== 4) return undefined;
  return (((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0);
}

function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}

/** Any valid IPv6 text (per node:net) to eight 16-bit groups. */
function parseIPv6(text: string): number[] | undefined {
  if (!isIPv6(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function parseGroups(text: string): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.includes(".")) {
      // A dotted IPv4 tail (`::ffff:127.0.0.1`) is only valid as the last two groups.
      if (i !== parts.length - 1) return undefined;
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      groups.push(Number.parseInt(part, 16));
    }
  }
  return groups;
}

function toBigInt(groups: readonly number[]): bigint {
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}
