import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkWebhookUrl, embeddedIpv4, isPrivateAddress } from './address-policy.js';

describe('isPrivateAddress', () => {
  const refused = ['127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1', 'not-an-ip'];
  const allowed = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '11.0.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'];
  for (const a of refused) test(`refuses ${a}`, () => assert.equal(isPrivateAddress(a), true));
  for (const a of allowed) test(`allows ${a}`, () => assert.equal(isPrivateAddress(a), false));
});

describe('isPrivateAddress: IPv6 forms that carry or lead to an IPv4 address', () => {
  // Each refused one reaches (or may reach) an internal IPv4 address; each allowed one a public one.
  const refused = [
    '::127.0.0.1', '::7f00:1', '::10.0.0.1', '::a9fe:a9fe', // IPv4-compatible ::/96
    '::ffff:0:127.0.0.1', '::ffff:0:7f00:1', '::ffff:0:a9fe:a9fe', '0:0:0:0:ffff:0:c0a8:101', // SIIT ::ffff:0:0:0/96
    '64:ff9b::127.0.0.1', '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b::ac10:1', // well-known NAT64 64:ff9b::/96
    '64:ff9b:1::7f00:1', '64:ff9b:1::808:808', '64:ff9b:1:ffff::1', // local-use NAT64 64:ff9b:1::/48: refused whole
    '2002:7f00:1::', '2002:7f00:1::1', '2002:a00:1:5::1', '2002:a9fe:a9fe::', '2002:c0a8:101:ffff::', '2002::', // 6to4 of internal IPv4
    '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff', // Teredo 2001::/32: refused whole
    '::ffff:7f00:1%eth0', 'fe80::1%eth0', // a zone id changes nothing
    '2001:2::1', '2001:10::1', '2001:20::1', '3fff::1', '5f00::1', '1::', '4000::1', 'fd00::1', '64:ff9b::1:0:0', // special or not global unicast
  ];
  const allowed = [
    '::8.8.8.8', '::ffff:0:8.8.8.8', '64:ff9b::8.8.8.8', '64:ff9b::5db8:d822', '2002:808:808::1', '2002:5db8:d822:1::1',
    '2001:4860:4860::8888', '2001:1::1', '2a00:1450:4001:81c::200e', '3ffe::1',
  ];
  for (const a of refused) test(`refuses ${a}`, () => assert.equal(isPrivateAddress(a), true));
  for (const a of allowed) test(`allows ${a}`, () => assert.equal(isPrivateAddress(a), false));

  test('reads the embedded IPv4 address wherever it sits', () => {
    assert.equal(embeddedIpv4('::7f00:1'), '127.0.0.1');
    assert.equal(embeddedIpv4('::ffff:a9fe:a9fe'), '169.254.169.254');
    assert.equal(embeddedIpv4('::ffff:0:192.168.1.1'), '192.168.1.1');
    assert.equal(embeddedIpv4('0064:FF9B:0000:0000:0000:0000:0A00:0001'), '10.0.0.1');
    assert.equal(embeddedIpv4('2002:c0a8:0101:42::7'), '192.168.1.1');
    assert.equal(embeddedIpv4('::'), '0.0.0.0');
    assert.equal(embeddedIpv4('::1'), '0.0.0.1');
    assert.equal(embeddedIpv4('64:ff9b:1::7f00:1'), undefined);
    assert.equal(embeddedIpv4('2001::7f00:1'), undefined);
    assert.equal(embeddedIpv4('2606:4700:4700::1111'), undefined);
  });
});

describe('checkWebhookUrl', () => {
  const names: Record<string, string[]> = {
    'internal.example': ['10.0.0.5'],
    'public.example': ['93.184.216.34'],
    'public6.example': ['2606:4700:4700::1111', '64:ff9b::5db8:d822', '2002:5db8:d822::1'],
    'compat.example': ['::a00:5'],
    'siit.example': ['::ffff:0:a00:5'],
    'nat64-local.example': ['64:ff9b:1::a00:5'],
    'sixtofour.example': ['2002:a00:5::1'],
    'teredo.example': ['2001:0:4136:e378:8000:63bf:3fff:fdd2'],
    'mixed.example': ['93.184.216.34', '64:ff9b::7f00:1'], // one bad answer is enough
  };
  const lookup = async (host: string) => names[host] ?? [];
  const refusedUrls = [
    'http://127.0.0.1:3000/hook',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://017700000001/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data',
    'http://internal.example/hook',
    // IPv6 literals that lead to an internal IPv4 address (the URL parser rewrites the dotted forms to hex)
    'http://[::127.0.0.1]/',
    'http://[::ffff:0:127.0.0.1]/',
    'http://[64:ff9b::127.0.0.1]/',
    'http://[64:ff9b:1::7f00:1]/',
    'http://[2002:7f00:1::]/',
    'http://[2001::1]/',
    'http://[2002:a9fe:a9fe::]:8080/latest/meta-data',
    // names that resolve to them
    'http://compat.example/',
    'http://siit.example/',
    'http://nat64-local.example/',
    'http://sixtofour.example/',
    'http://teredo.example/',
    'http://mixed.example/',
  ];
  for (const url of refusedUrls) {
    test(`refuses ${url} when private targets are not allowed`, async () => {
      await assert.rejects(checkWebhookUrl(url, false, lookup), /must not point to a loopback, private, link-local or metadata address/);
    });
  }
  test('allows a public host, and anything in the sandbox', async () => {
    assert.equal((await checkWebhookUrl('https://public.example/hook', false, lookup)).hostname, 'public.example');
    assert.equal((await checkWebhookUrl('https://public6.example/hook', false, lookup)).hostname, 'public6.example');
    assert.equal((await checkWebhookUrl('https://[64:ff9b::93.184.216.34]/hook', false, lookup)).hostname, '[64:ff9b::5db8:d822]');
    assert.equal((await checkWebhookUrl('https://[2a00:1450:4001:81c::200e]/hook', false, lookup)).hostname, '[2a00:1450:4001:81c::200e]');
    assert.equal((await checkWebhookUrl('http://127.0.0.1:3000/hook', true, lookup)).port, '3000');
  });
  test('refuses other schemes, credentials and unresolvable hosts', async () => {
    await assert.rejects(checkWebhookUrl('ftp://public.example/', true), /must use http or https, got ftp/);
    await assert.rejects(checkWebhookUrl('not a url', true), /must be an absolute http\(s\) URL/);
    await assert.rejects(checkWebhookUrl('http://u:p@public.example/', true), /must not carry credentials/);
    await assert.rejects(checkWebhookUrl('http://nowhere.example/', false, lookup), /does not resolve/);
  });
});
