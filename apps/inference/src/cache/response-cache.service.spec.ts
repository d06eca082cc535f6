import { Writable } from 'node:stream';
import { createLogger } from '@lemur/shared-logging';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheKeyOf } from './cached-completion';
import type { CachedCompletion } from './cached-completion';
import type { KeyBatch, ResponseCacheRepository, StoredCompletion } from './response-cache.repository';
import { ResponseCacheService, type ResponseCacheOptions } from './response-cache.service';

/** The table in memory; counts lookups, and its key reads can be made to fail or hang. */
class FakeRepository {
  readonly rows = new Map<string, StoredCompletion & { createdAt: Date }>();
  readonly finds: string[] = [];
  pages = 0;
  keyReads: 'ok' | 'fail' | 'hang' = 'ok';

  async find(key: string, now: Date): Promise<CachedCompletion | undefined> {
    this.finds.push(key);
    const row = this.rows.get(key);
    return row && row.expiresAt > now ? { choices: row.choices, usage: row.usage } : undefined;
  }

  async saveMany(entries: readonly StoredCompletion[]): Promise<void> {
    for (const entry of entries) this.rows.set(entry.key, { ...entry, createdAt: this.rows.get(entry.key)?.createdAt ?? new Date() });
  }

  async prune(): Promise<number> {
    return 0;
  }

  keyPage(after: string, limit: number): Promise<KeyBatch> {
    this.pages += 1;
    return this.keys(() => [...this.rows.keys()].filter((k) => k > after).sort().slice(0, limit));
  }

  keysCreatedSince(since: Date, limit: number): Promise<KeyBatch> {
    return this.keys(() => [...this.rows.values()].filter((r) => r.createdAt > since).map((r) => r.key).slice(0, limit));
  }

  private keys(read: () => string[]): Promise<KeyBatch> {
    if (this.keyReads === 'hang') return new Promise(() => undefined);
    if (this.keyReads === 'fail') return Promise.reject(new Error('connection refused'));
    return Promise.resolve({ at: new Date(), keys: read() });
  }
}

const completion = (text: string): CachedCompletion => ({ choices: [{ index: 0, text, finishReason: 'stop' }], usage: { promptTokens: 3, completionTokens: 2 } });
const keyOf = (prompt: string) => cacheKeyOf({ model: 'm', revision: '', prompt, maxTokens: 16, temperature: 0, topP: 1, stop: [], n: 1 });
const meta = { model: 'm', revision: '' };

const open: ResponseCacheService[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function cacheOn(repository: FakeRepository, opts: { now?: () => number; log?: string[]; options?: Partial<ResponseCacheOptions> } = {}) {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      opts.log?.push(chunk.toString());
      done();
    },
  });
  const cache = new ResponseCacheService(
    repository as unknown as ResponseCacheRepository,
    // Memory off: every lookup that is not skipped reaches the repository.
    { ttlMs: 60_000, memoryEntries: 0, maxRows: 1_000, ...opts.options },
    createLogger('test', 'info', destination),
    opts.now,
  );
  open.push(cache);
  return cache;
}

async function stored(repository: FakeRepository, prompt: string): Promise<string> {
  const key = keyOf(prompt);
  await repository.saveMany([{ key, ...meta, ...completion(prompt), expiresAt: new Date(Date.now() + 60_000) }]);
  return key;
}

describe('ResponseCacheService stored-key index', () => {
  it('answers a miss for a key the database does not hold without a query, and still queries the keys it holds', async () => {
    const repository = new FakeRepository();
    const known = await stored(repository, 'known');
    const cache = cacheOn(repository);
    await cache.refreshKeys();
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(repository.finds).toEqual([]);
    expect(await cache.get(known)).toEqual(completion('known'));
    expect(repository.finds).toEqual([known]);
  });

  it('queries every key until the keys are loaded', async () => {
    const repository = new FakeRepository();
    repository.keyReads = 'hang';
    const cache = cacheOn(repository);
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(repository.finds).toEqual([keyOf('unknown')]);
  });

  it('finds what this process wrote at once, without waiting for a refresh', async () => {
    const repository = new FakeRepository();
    const cache = cacheOn(repository);
    await cache.refreshKeys();
    cache.put(keyOf('mine'), meta, completion('mine'));
    await cache.flush();
    expect(await cache.get(keyOf('mine'))).toEqual(completion('mine'));
  });

  it('finds a key another instance wrote after a refresh', async () => {
    const repository = new FakeRepository();
    const reader = cacheOn(repository);
    const writer = cacheOn(repository);
    await reader.refreshKeys();
    writer.put(keyOf('theirs'), meta, completion('theirs'));
    await writer.flush();
    // Not seen before the refresh: a model call at worst, never a wrong answer.
    expect(await reader.get(keyOf('theirs'))).toBeUndefined();
    await reader.refreshKeys();
    expect(await reader.get(keyOf('theirs'))).toEqual(completion('theirs'));
  });

  it('queries again when a refresh fails (and says so in the log), and skips again once one succeeds', async () => {
    const repository = new FakeRepository();
    const log: string[] = [];
    const cache = cacheOn(repository, { log });
    await cache.refreshKeys();
    repository.keyReads = 'fail';
    await cache.refreshKeys();
    expect(log.join('')).toContain('response cache key refresh failed');
    // Written by another replica while the refreshes fail: it must be looked up, and found.
    const theirs = await stored(repository, 'theirs');
    expect(await cache.get(theirs)).toEqual(completion('theirs'));
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(repository.finds).toEqual([theirs, keyOf('unknown')]);
    repository.keyReads = 'ok';
    await cache.refreshKeys();
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(await cache.get(theirs)).toEqual(completion('theirs'));
    expect(repository.finds).toEqual([theirs, keyOf('unknown'), theirs]);
  });

  it('queries again when the initial load fails', async () => {
    const repository = new FakeRepository();
    repository.keyReads = 'fail';
    const cache = cacheOn(repository);
    await cache.refreshKeys();
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(repository.finds).toEqual([keyOf('unknown')]);
  });

  it('loads the keys in pages, and loads them again, in a larger filter, once more went in than it was sized for', async () => {
    const repository = new FakeRepository();
    const expiresAt = new Date(Date.now() + 60_000);
    const keys = Array.from({ length: 10_001 }, (_, i) => keyOf(`stored ${i}`));
    await repository.saveMany(keys.map((key) => ({ key, ...meta, ...completion('x'), expiresAt })));
    const cache = cacheOn(repository, { options: { maxRows: 100 } });
    await cache.refreshKeys();
    expect(repository.pages).toBe(2);
    // A hundred times more keys than it was sized for: nearly every bit is set, and so nothing is known absent.
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(repository.finds).toEqual([keyOf('unknown')]);
    await cache.refreshKeys();
    expect(repository.pages).toBe(4);
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(await cache.get(keys.at(-1)!)).toEqual(completion('x'));
    expect(repository.finds).toEqual([keyOf('unknown'), keys.at(-1)]);
  });

  it('stops trusting its keys when refreshes hang for three intervals', async () => {
    const repository = new FakeRepository();
    let now = Date.now();
    const cache = cacheOn(repository, { now: () => now, options: { refreshKeysEveryMs: 1_000 } });
    await cache.refreshKeys();
    repository.keyReads = 'hang';
    void cache.refreshKeys();
    now += 3_000;
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(repository.finds).toEqual([]);
    now += 1;
    expect(await cache.get(keyOf('unknown'))).toBeUndefined();
    expect(repository.finds).toEqual([keyOf('unknown')]);
  });
});
