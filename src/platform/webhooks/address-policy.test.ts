import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkWebhookUrl, isPrivateAddress } from './address-policy.js';

describe('isPrivateAddress', () => {
  const refused = ['127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1', 'not-an-ip'];
  const allowed = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '11.0.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'];
  for (const a of refused) test(`refuses ${a}`, () => assert.equal(isPrivateAddress(a), true));
  for (const a of allowed) test(`allows ${a}`, () => assert.equal(isPrivateAddress(a), false));
});

describe('checkWebhookUrl', () => {
  const lookup = async (host: string) => (host === 'internal.example' ? ['10.0.0.5'] : host === 'public.example' ? ['93.184.216.34'] : []);
  const refusedUrls = [
    'http://127.0.0.1:3000/hook',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://017700000001/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data',
    'http://internal.example/hook',
  ];
  for (const url of refusedUrls) {
    test(`refuses ${url} when private targets are not allowed`, async () => {
      await assert.rejects(checkWebhookUrl(url, false, lookup), /must not point to a loopback, private, link-local or metadata address/);
    });
  }
  test('allows a public host, and anything in the sandbox', async () => {
    assert.equal((await checkWebhookUrl('https://public.example/hook', false, lookup)).hostname, 'public.example');
    assert.equal((await checkWebhookUrl('http://127.0.0.1:3000/hook', true, lookup)).port, '3000');
  });
  test('refuses other schemes, credentials and unresolvable hosts', async () => {
    await assert.rejects(checkWebhookUrl('ftp://public.example/', true), /must use http or https, got ftp/);
    await assert.rejects(checkWebhookUrl('not a url', true), /must be an absolute http\(s\) URL/);
    await assert.rejects(checkWebhookUrl('http://u:p@public.example/', true), /must not carry credentials/);
    await assert.rejects(checkWebhookUrl('http://nowhere.example/', false, lookup), /does not resolve/);
  });
});
