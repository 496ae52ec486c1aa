import dns from 'node:dns/promises';
import net from 'node:net';

/**
 * Where webhooks may go. In sandbox mode anything (partners receive on their own localhost). With
 * PAYRAIL_WEBHOOK_ALLOW_PRIVATE=false (the default outside the sandbox) a URL whose host is, or
 * resolves to, a loopback, private, link-local, unique-local, multicast, reserved or cloud-metadata
 * address is refused, at registration and again at delivery, after DNS resolution, on the address
 * actually connected to. Decimal and hex IPv4 forms (http://2130706433/, http://0x7f000001/) are
 * normalised by the URL parser before this check; IPv4-mapped and NAT64 IPv6 addresses are checked
 * as the IPv4 address they carry.
 */
const BLOCKED = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local, including fd00:ec2::254 metadata
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(prefix, bits, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}

export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return BLOCKED.check(v4, 'ipv4');
    return BLOCKED.check(address, 'ipv6');
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
