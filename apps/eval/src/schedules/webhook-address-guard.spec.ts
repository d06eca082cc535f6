import { describe, expect, it } from 'vitest';
import { classifyWebhookAddress, guardedLookup, WebhookAddressRefusedError } from './webhook-address-guard';

describe('classifyWebhookAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['[::1]', 'loopback'],
    ['not-an-ip', 'reserved'],
    ['1::2::3', 'reserved'],
    ['256.1.1.1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(classifyWebhookAddress(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.1', '192.169.0.1', '100.128.0.1', '11.0.0.1', '2606:4700:4700::1111', '2001:db8::1', 'fec0::1', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(classifyWebhookAddress(address)).toBeNull();
    },
  );
});

describe('guardedLookup', () => {
  const lookupWith = (answers: { address: string; family: number }[]) =>
    guardedLookup((_host, callback) => callback(null, answers));

  it('hands on only public addresses, refusing a name that resolves to the platform network only', async () => {
    const one = (answers: { address: string; family: number }[], all: boolean) =>
      new Promise<unknown>((resolve) => lookupWith(answers)('hook.test', { all }, (err, address, family) => resolve(err ?? { address, family })));
    expect(await one([{ address: '169.254.169.254', family: 4 }, { address: '93.184.215.14', family: 4 }], false)).toEqual({ address: '93.184.215.14', family: 4 });
    expect(await one([{ address: '::1', family: 6 }, { address: '2606:4700::1', family: 6 }], true)).toEqual({ address: [{ address: '2606:4700::1', family: 6 }], family: undefined });
    const refused = await one([{ address: '127.0.0.1', family: 4 }], false);
    expect(refused).toBeInstanceOf(WebhookAddressRefusedError);
    expect(refused).toMatchObject({ host: 'hook.test', address: '127.0.0.1', kind: 'loopback' });
  });
});
