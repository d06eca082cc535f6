import { createLogger } from '@lemur/shared-logging';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKeyOf } from './cached-completion';
import { ResponseCacheRepository } from './response-cache.repository';
import { ResponseCacheService } from './response-cache.service';

let db: TestDatabase;
const clients: PrismaClient[] = [];
const caches: ResponseCacheService[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const cache of caches) await cache.close();
  for (const prisma of clients) await prisma.$disconnect();
  await db?.drop();
});

/** One inference replica's cache: its own connection pool, memory off so a lookup that is not skipped reaches PostgreSQL. */
function replica(): { cache: ResponseCacheService; finds: () => number } {
  const prisma = createPrismaClient(db.url);
  clients.push(prisma);
  const repository = new ResponseCacheRepository(prisma);
  let finds = 0;
  const find = repository.find.bind(repository);
  repository.find = (key, now) => {
    finds += 1;
    return find(key, now);
  };
  const cache = new ResponseCacheService(repository, { ttlMs: 60_000, memoryEntries: 0, maxRows: 1_000 }, createLogger('test', 'silent'));
  caches.push(cache);
  return { cache, finds: () => finds };
}

const keyOf = (prompt: string) => cacheKeyOf({ model: 'm', revision: '', prompt, maxTokens: 16, temperature: 0, topP: 1, stop: [], n: 1 });
const completion = (text: string) => ({ choices: [{ index: 0, text, finishReason: 'stop' }], usage: { promptTokens: 3, completionTokens: 2 } });

describe('ResponseCacheService across replicas against PostgreSQL', () => {
  it('skips the query for keys no replica stored, and finds another replica\'s key after a refresh', async () => {
    const writer = replica();
    writer.cache.put(keyOf('stored at start'), { model: 'm', revision: '' }, completion('a'));
    await writer.cache.flush();
    const reader = replica();
    await reader.cache.refreshKeys();
    expect(await reader.cache.get(keyOf('stored at start'))).toEqual(completion('a'));
    expect(await reader.cache.get(keyOf('never stored'))).toBeUndefined();
    expect(reader.finds()).toBe(1);

    writer.cache.put(keyOf('stored later'), { model: 'm', revision: '' }, completion('b'));
    await writer.cache.flush();
    await reader.cache.refreshKeys();
    expect(await reader.cache.get(keyOf('stored later'))).toEqual(completion('b'));
    expect(reader.finds()).toBe(2);
  });
});
