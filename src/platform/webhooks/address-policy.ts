import dns from 'node:dns/promises';
import net from 'node:net';

/**
 * Where webhooks may go. In sandbox mode anything (partners receive on their own localhost). With
 * PAYRAIL_WEBHOOK_ALLOW_PRIVATE=false (the default outside the sandbox) a URL whose host is, or
 * resolves to, a loopback, private, link-local, unique-local, multicast, reserved or cloud-metadata
 * address is refused, at registration and again at delivery, after DNS resolution, on the address
 * actually connected to. Decimal and hex IPv4 forms (http://2130706433/, http://0x7f000001/) are
 * normalised by the URL parser before this check.
 *
 * IPv6 is an allow-list: only global unicast (2000::/3) may be connected to, less the special
 * blocks inside it (below). The IPv6 forms that carry an IPv4 address are judged by that IPv4
 * address, so a public IPv4 behind them still works and an internal one is refused:
 * - IPv4-mapped `::ffff:a.b.c.d` (::ffff:0:0/96): a dual-stack socket connects to a.b.c.d itself;
 * - IPv4-compatible `::a.b.c.d` (::/96, deprecated; `::` and `::1` fall in it as 0.0.0.0 and 0.0.0.1);
 * - SIIT / IPv4-translated `::ffff:0:a.b.c.d` (::ffff:0:0:0/96);
 * - well-known NAT64 `64:ff9b::a.b.c.d` (64:ff9b::/96): what DNS64 answers on an IPv6-only host;
 * - 6to4 `2002:AABB:CCDD::/48` (2002::/16): the IPv4 address is bits 16–47.
 * Refused whole, because the IPv4 address they lead to cannot be told from the IPv6 one:
 * - local-use NAT64 64:ff9b:1::/48 (the site picks the prefix length, so where the IPv4 sits is
 *   unknown; it is outside 2000::/3 anyway);
 * - Teredo 2001::/32 (the client's IPv4 is obfuscated and reached through a relay; no webhook
 *   receiver needs a Teredo address).
 */
const BLOCKED_V4 = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4], // reserved, and 255.255.255.255
] as const) {
  BLOCKED_V4.addSubnet(prefix, bits, 'ipv4');
}

/** The only IPv6 addresses that may be connected to as themselves: global unicast. */
const GLOBAL_V6 = new net.BlockList();
GLOBAL_V6.addSubnet('2000::', 3, 'ipv6');

/**
 * Special blocks inside 2000::/3. Everything outside it (::/8 with the IPv4-carrying forms not
 * listed above, 64:ff9b:1::/48, 100::/64 discard, fc00::/7 unique local including fd00:ec2::254
 * metadata, fe80::/10, fec0::/10, ff00::/8 multicast, the unassigned rest) is refused by the allow-list.
 */
const BLOCKED_V6 = new net.BlockList();
for (const [prefix, bits] of [
  ['2001::', 32], // Teredo
  ['2001:2::', 48], // benchmarking
  ['2001:10::', 28], // ORCHID (deprecated)
  ['2001:20::', 28], // ORCHIDv2
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
] as const) {
  BLOCKED_V6.addSubnet(prefix, bits, 'ipv6');
}

/** The eight 16-bit groups of a valid IPv6 address (as net.isIP accepts it), zone id dropped. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
    if ([a, b, c, d].some((x) => x > 255)) return undefined;
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)) : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  return groups.some(Number.isNaN) ? undefined : groups;
}

const dottedQuad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 address carries (mapped, compatible, SIIT, well-known NAT64, 6to4), if any. */
export function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && (g[5] === 0 || g[5] === 0xffff)) return dottedQuad(g[6]!, g[7]!); // ::a.b.c.d, ::ffff:a.b.c.d
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return dottedQuad(g[6]!, g[7]!); // ::ffff:0:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return dottedQuad(g[6]!, g[7]!); // 64:ff9b::a.b.c.d
  if (g[0] === 0x2002) return dottedQuad(g[1]!, g[2]!); // 2002:AABB:CCDD::/48
  return undefined;
}

export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return BLOCKED_V4.check(address, 'ipv4');
  if (family === 6) {
    const groups = ipv6Groups(address);
    if (!groups) return true;
    const v4 = embeddedIpv4(address);
    if (v4) return BLOCKED_V4.check(v4, 'ipv4');
    const normal = groups.map((x) => x.toString(16)).join(':');
    return !GLOBAL_V6.check(normal, 'ipv6') || BLOCKED_V6.check(normal, 'ipv6');
  }
  return true; // not an address at all: refuse rather than guess
}

export class WebhookUrlError extends Error {
  override name = 'WebhookUrlError';
}

/** Checks the URL's form, and (when private targets are refused) its host after DNS resolution. */
export async function checkWebhookUrl(url: string, allowPrivate: boolean, lookup = defaultLookup): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookUrlError('webhook_url must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new WebhookUrlError(`webhook_url must use http or https, got ${parsed.protocol.replace(':', '')}`);
  }
  if (parsed.username || parsed.password) throw new WebhookUrlError('webhook_url must not carry credentials');
  if (allowPrivate) return parsed;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [host] : await lookup(host);
  if (addresses.length === 0) throw new WebhookUrlError(`webhook_url host ${host} does not resolve`);
  const bad = addresses.find(isPrivateAddress);
  if (bad) {
    throw new WebhookUrlError(
      `webhook_url must not point to a loopback, private, link-local or metadata address (${host} is ${bad}); ` +
        'this server refuses them (PAYRAIL_WEBHOOK_ALLOW_PRIVATE=false)',
    );
  }
  return parsed;
}

async function defaultLookup(host: string): Promise<string[]> {
  try {
    return (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    throw new WebhookUrlError(`webhook_url host ${host} does not resolve`);
  }
}
