import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseCacheRepository } from './response-cache.repository';

let db: TestDatabase;
let prisma: PrismaClient;
let repository: ResponseCacheRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  repository = new ResponseCacheRepository(prisma);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const completion = (text: string) => ({
  choices: [{ index: 0, text, finishReason: 'stop' }],
  usage: { promptTokens: 3, completionTokens: 2 },
});

describe('ResponseCacheRepository against PostgreSQL', () => {
  it('stores, refreshes and finds a completion until it expires', async () => {
    const now = new Date();
    await repository.save({ key: 'k1', model: 'm', revision: '', expiresAt: new Date(now.getTime() + 60_000), ...completion('old') });
    await repository.save({ key: 'k1', model: 'm', revision: '', expiresAt: new Date(now.getTime() + 60_000), ...completion('new') });
    expect(await repository.find('k1', now)).toEqual(completion('new'));
    expect(await repository.find('k1', new Date(now.getTime() + 61_000))).toBeUndefined();
    expect(await repository.find('missing', now)).toBeUndefined();
  });

  it('stores a batch in one statement: the later of two entries for a key wins, a NUL entry leaves the others', async () => {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 60_000);
    await repository.saveMany([
      { key: 'b1', model: 'm', revision: '', expiresAt, ...completion('first') },
      { key: 'b2', model: 'm', revision: 'r2', expiresAt, ...completion('quote " and \\ backslash') },
      { key: 'b3', model: 'm', revision: '', expiresAt, ...completion('bin\u0000ary') },
      { key: 'b1', model: 'm', revision: '', expiresAt, ...completion('second') },
    ]);
    expect(await repository.find('b1', now)).toEqual(completion('second'));
    expect(await repository.find('b2', now)).toEqual(completion('quote " and \\ backslash'));
    expect(await repository.find('b3', now)).toBeUndefined();
    await repository.saveMany([]);
  });

  it('keeps a choice\'s log-probabilities', async () => {
    const now = new Date();
    const logprobs = { tokens: [' B'], tokenLogprobs: [-0.1], topLogprobs: [[{ token: ' B', logprob: -0.1 }, { token: ' A', logprob: -2.5 }]], textOffset: [0] };
    const entry = { choices: [{ index: 0, text: ' B', finishReason: 'length', logprobs }], usage: { promptTokens: 9, completionTokens: 1 } };
    await repository.save({ key: 'lp', model: 'm', revision: '', expiresAt: new Date(now.getTime() + 60_000), ...entry });
    expect(await repository.find('lp', now)).toEqual(entry);
  });

  it('does not store a completion holding a NUL character (PostgreSQL cannot, and an altered answer must not replay)', async () => {
    const now = new Date();
    await repository.save({ key: 'nul', model: 'm', revision: '', expiresAt: new Date(now.getTime() + 60_000), ...completion('bin\u0000ary') });
    expect(await repository.find('nul', now)).toBeUndefined();
  });

  it('reads every key in pages, in key order, expired rows included', async () => {
    await prisma.responseCacheEntry.deleteMany();
    const now = Date.now();
    for (const key of ['p3', 'p1', 'p5', 'p2', 'p4']) {
      await repository.save({ key, model: 'm', revision: '', expiresAt: new Date(now + (key === 'p2' ? -1 : 60_000)), ...completion(key) });
    }
    const first = await repository.keyPage('', 2);
    const second = await repository.keyPage(first.keys.at(-1)!, 2);
    const last = await repository.keyPage(second.keys.at(-1)!, 2);
    expect([first.keys, second.keys, last.keys]).toEqual([['p1', 'p2'], ['p3', 'p4'], ['p5']]);
    expect(Math.abs(first.at.getTime() - Date.now())).toBeLessThan(5_000);
    expect((await repository.keyPage('p5', 2)).keys).toEqual([]);
  });

  it('reads the keys of rows created after a time of the database clock', async () => {
    await repository.save({ key: 'before', model: 'm', revision: '', expiresAt: new Date(Date.now() + 60_000), ...completion('x') });
    const { at } = await repository.keysCreatedSince(new Date(), 10);
    // created_at has millisecond precision: the next row must be created visibly later.
    await new Promise((r) => setTimeout(r, 5));
    await repository.saveMany([
      { key: 'after1', model: 'm', revision: '', expiresAt: new Date(Date.now() + 60_000), ...completion('y') },
      { key: 'after2', model: 'm', revision: '', expiresAt: new Date(Date.now() + 60_000), ...completion('z') },
    ]);
    expect((await repository.keysCreatedSince(at, 10)).keys.sort()).toEqual(['after1', 'after2']);
    expect((await repository.keysCreatedSince(at, 1)).keys).toHaveLength(1);
    // Refreshing a row does not make it new.
    await repository.save({ key: 'before', model: 'm', revision: '', expiresAt: new Date(Date.now() + 90_000), ...completion('x2') });
    expect((await repository.keysCreatedSince(at, 10)).keys.sort()).toEqual(['after1', 'after2']);
  });

  it('prunes expired rows, then the oldest beyond the row bound', async () => {
    await prisma.responseCacheEntry.deleteMany();
    const now = Date.now();
    await repository.save({ key: 'expired', model: 'm', revision: '', expiresAt: new Date(now - 1), ...completion('x') });
    for (const key of ['a', 'b', 'c']) {
      await repository.save({ key, model: 'm', revision: '', expiresAt: new Date(now + 60_000), ...completion(key) });
      // created_at has millisecond precision: keep the insertion order visible to it.
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await repository.prune(new Date(now), 2)).toBe(2);
    const left = await prisma.responseCacheEntry.findMany({ select: { key: true }, orderBy: { key: 'asc' } });
    expect(left.map((r) => r.key)).toEqual(['b', 'c']);
  });
});
