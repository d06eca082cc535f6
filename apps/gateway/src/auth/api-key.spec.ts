import { describe, expect, it } from 'vitest';
import { displayKey, hashSecret, mintApiKey, parseApiKey, roleAllows, secretMatches } from './api-key';

describe('API keys', () => {
  it('mints lmr_<id>_<secret> keys that parse back, with only the secret hash to store', () => {
    const key = mintApiKey();
    expect(key.token).toMatch(/^lmr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiKey(key.token)!;
    expect(parsed.publicId).toBe(key.publicId);
    expect(key.secretHash).toEqual(hashSecret(parsed.secret));
    expect(key.secretHash.length).toBe(32);
    expect(key.token).not.toContain(key.secretHash.toString('hex'));
    expect(displayKey(key.publicId)).toBe(`lmr_${key.publicId}_…`);
  });

  it('never repeats ids or secrets', () => {
    const keys = Array.from({ length: 2_000 }, mintApiKey);
    expect(new Set(keys.map((k) => k.publicId)).size).toBe(2_000);
    expect(new Set(keys.map((k) => k.token)).size).toBe(2_000);
  });

  it('rejects tokens that are not shaped like keys', () => {
    const { token } = mintApiKey();
    for (const bad of ['', 'lmr_', token.slice(0, -1), `${token}x`, token.replace('lmr_', 'sk-_'), token.toUpperCase(), ` ${token}`]) {
      expect(parseApiKey(bad), bad).toBeUndefined();
    }
  });

  it('checks a secret against its hash', () => {
    const key = mintApiKey();
    const { secret } = parseApiKey(key.token)!;
    expect(secretMatches(secret, key.secretHash)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, key.secretHash)).toBe(false);
    expect(secretMatches(secret, new Uint8Array(3))).toBe(false);
  });

  it('orders roles viewer < runner < admin', () => {
    expect(roleAllows('admin', 'runner')).toBe(true);
    expect(roleAllows('runner', 'runner')).toBe(true);
    expect(roleAllows('runner', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'runner')).toBe(false);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
  });
});
