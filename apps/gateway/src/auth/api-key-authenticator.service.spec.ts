import { createLogger } from '@lemur/shared-logging';
import { describe, expect, it } from 'vitest';
import { HttpRejection } from '../http/api-error';
import { mintApiKey, type RoleName } from './api-key';
import { ApiKeyAuthenticator } from './api-key-authenticator.service';
import type { ApiKeyRepository, StoredKey } from './api-key.repository';

class FakeKeys {
  readonly stored = new Map<string, StoredKey>();
  lookups = 0;
  readonly touches: Date[] = [];

  add(role: RoleName, extra: Partial<StoredKey> = {}): string {
    const minted = mintApiKey();
    this.stored.set(minted.publicId, {
      id: `id-${minted.publicId}`,
      publicId: minted.publicId,
      name: 'k',
      role,
      secretHash: minted.secretHash,
      teamId: 'team-1',
      teamName: 'research',
      memberId: null,
      createdAt: new Date(0),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      ...extra,
    });
    return minted.token;
  }

  failNext = false;

  async findByPublicId(publicId: string) {
    this.lookups++;
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('connection reset');
    }
    const key = this.stored.get(publicId);
    return key ? { ...key } : null; // a copy, as a database read gives
  }

  async touch(_id: string, at: Date) {
    this.touches.push(at);
  }
}

function setup() {
  const keys = new FakeKeys();
  let now = 1_000_000;
  const auth = new ApiKeyAuthenticator(keys as unknown as ApiKeyRepository, createLogger('test', 'silent'), () => now);
  return { keys, auth, advance: (ms: number) => (now += ms) };
}

async function rejection(promise: Promise<unknown>): Promise<HttpRejection> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpRejection);
  return err as HttpRejection;
}

describe('ApiKeyAuthenticator', () => {
  it('resolves a valid key to its team and role', async () => {
    const { keys, auth } = setup();
    const token = keys.add('runner');
    const principal = await auth.authenticate(`Bearer ${token}`);
    expect(principal).toMatchObject({ teamId: 'team-1', teamName: 'research', role: 'runner', actor: token.slice(0, 16) });
  });

  it('answers 401 with a reason and a WWW-Authenticate header for missing, malformed, unknown and wrong keys', async () => {
    const { keys, auth } = setup();
    const token = keys.add('admin');
    const wrongSecret = `${token.slice(0, 17)}${token[17] === 'a' ? 'b' : 'a'}${token.slice(18)}`;
    const cases: [string | undefined, RegExp][] = [
      [undefined, /missing API key/],
      [`Basic ${token}`, /must be `Bearer <key>`/],
      ['Bearer sk-123', /malformed API key/],
      [`Bearer ${mintApiKey().token}`, /unknown API key/],
      [`Bearer ${wrongSecret}`, /unknown API key/],
    ];
    for (const [header, message] of cases) {
      const err = await rejection(auth.authenticate(header));
      expect(err.status).toBe(401);
      expect(err.code).toBe('UNAUTHENTICATED');
      expect(err.message).toMatch(message);
      expect(err.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('refuses revoked and expired keys, saying which and when', async () => {
    const { keys, auth } = setup();
    const revoked = keys.add('admin', { revokedAt: new Date(5) });
    const expired = keys.add('admin', { expiresAt: new Date(999_000) });
    expect((await rejection(auth.authenticate(`Bearer ${revoked}`))).message).toMatch(/was revoked at 1970-01-01T00:00:00.005Z/);
    expect((await rejection(auth.authenticate(`Bearer ${expired}`))).message).toMatch(/expired at/);
  });

  it('answers 403 when the role is too small', async () => {
    const { keys, auth } = setup();
    const principal = await auth.authenticate(`Bearer ${keys.add('viewer')}`);
    expect(() => auth.authorize(principal, 'viewer')).not.toThrow();
    let err: unknown;
    try {
      auth.authorize(principal, 'runner');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ status: 403, code: 'PERMISSION_DENIED', message: expect.stringMatching(/needs the runner role/) as unknown });
  });

  it('caches look-ups for a few seconds, and forgets a revoked key at once', async () => {
    const { keys, auth, advance } = setup();
    const token = keys.add('runner');
    await auth.authenticate(`Bearer ${token}`);
    await auth.authenticate(`Bearer ${token}`);
    expect(keys.lookups).toBe(1);
    advance(6_000);
    await auth.authenticate(`Bearer ${token}`);
    expect(keys.lookups).toBe(2);
    const publicId = token.slice(4, 16);
    keys.stored.get(publicId)!.revokedAt = new Date(0);
    auth.forget(publicId);
    expect((await rejection(auth.authenticate(`Bearer ${token}`))).status).toBe(401);
  });

  it('reads a key once for all requests that miss the cache together, and refuses it once revoked elsewhere', async () => {
    const { keys, auth, advance } = setup();
    const token = keys.add('viewer');
    const principals = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(`Bearer ${token}`)));
    expect(principals.every((p) => p.teamName === 'research')).toBe(true);
    expect(keys.lookups).toBe(1);
    // Revoked by another replica (no forget here): refused once the cached entry expires, within seconds.
    keys.stored.get(token.slice(4, 16))!.revokedAt = new Date(0);
    advance(4_000);
    await auth.authenticate(`Bearer ${token}`);
    advance(1_001);
    const refused = await Promise.all(Array.from({ length: 20 }, () => rejection(auth.authenticate(`Bearer ${token}`))));
    expect(refused.every((r) => r.status === 401 && /revoked/.test(r.message))).toBe(true);
    expect(keys.lookups).toBe(2);
  });

  it('does not cache a failed look-up', async () => {
    const { keys, auth } = setup();
    const token = keys.add('viewer');
    keys.failNext = true;
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toThrow('connection reset');
    expect((await auth.authenticate(`Bearer ${token}`)).role).toBe('viewer');
    expect(keys.lookups).toBe(2);
  });

  it('records use at most once a minute per key', async () => {
    const { keys, auth, advance } = setup();
    const token = keys.add('runner');
    for (let i = 0; i < 10; i++) {
      await auth.authenticate(`Bearer ${token}`);
      advance(5_000);
    }
    expect(keys.touches).toHaveLength(1);
    advance(20_000);
    await auth.authenticate(`Bearer ${token}`);
    expect(keys.touches).toHaveLength(2);
  });
});
