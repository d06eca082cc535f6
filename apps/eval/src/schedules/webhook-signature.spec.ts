import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = generateWebhookSecret();
  const body = JSON.stringify({ event: 'lemur.regression', run: { id: 'r1' } });
  const now = new Date('2026-12-05T00:00:00Z');
  const timestamp = Math.floor(now.getTime() / 1000);
  const signed = { timestamp: String(timestamp), signature: signWebhook(secret, timestamp, body), body };

  it('makes distinct 32-byte base64url secrets', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64url')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('signs the timestamp and the raw body with HMAC-SHA256', () => {
    expect(signed.signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(signWebhook(secret, timestamp + 1, body)).not.toBe(signed.signature);
    expect(verifyWebhook(secret, signed, now)).toBe(true);
  });

  it('refuses a tampered body, a wrong secret, a stale or future timestamp and missing headers', () => {
    expect(verifyWebhook(secret, { ...signed, body: body.replace('r1', 'r2') }, now)).toBe(false);
    expect(verifyWebhook(generateWebhookSecret(), signed, now)).toBe(false);
    expect(verifyWebhook(secret, signed, new Date(now.getTime() + 301_000))).toBe(false);
    expect(verifyWebhook(secret, signed, new Date(now.getTime() - 301_000))).toBe(false);
    expect(verifyWebhook(secret, signed, new Date(now.getTime() + 299_000))).toBe(true);
    expect(verifyWebhook(secret, { ...signed, timestamp: undefined }, now)).toBe(false);
    expect(verifyWebhook(secret, { ...signed, signature: undefined }, now)).toBe(false);
    expect(verifyWebhook(secret, { ...signed, signature: signed.signature.slice(0, -1) }, now)).toBe(false);
    // A signature made for another timestamp does not verify with this one.
    expect(verifyWebhook(secret, { ...signed, timestamp: String(timestamp - 1) }, now)).toBe(false);
  });

  it('accepts any one of several signatures (a rotated secret)', () => {
    expect(verifyWebhook(secret, { ...signed, signature: `v1=${'0'.repeat(64)}, ${signed.signature}` }, now)).toBe(true);
  });
});
