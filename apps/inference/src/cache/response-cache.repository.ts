// The only place of the inference service that touches the database: the response_cache_entry table.
import type { Prisma, PrismaClient } from '@lemur/shared-database';
import type { CachedCompletion } from './cached-completion';

/** One stored completion with what it was made for. */
export interface StoredCompletion extends CachedCompletion {
  key: string;
  model: string;
  revision: string;
  expiresAt: Date;
}

export class ResponseCacheRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The unexpired completion stored under `key`, if any. */
  async find(key: string, now: Date): Promise<CachedCompletion | undefined> {
    const row = await this.prisma.responseCacheEntry.findUnique({ where: { key } });
    if (!row || row.expiresAt <= now) return undefined;
    return {
      choices: row.choices as unknown as CachedCompletion['choices'],
      usage: { promptTokens: row.promptTokens, completionTokens: row.completionTokens },
    };
  }

  /**
   * Stores or refreshes a completion (two runs racing on one key both write the same answer). A completion with a NUL
   * character is not stored: PostgreSQL cannot hold it, and a changed answer must never be replayed as the model's.
   */
  async save(entry: StoredCompletion): Promise<void> {
    if (JSON.stringify(entry.choices).includes('\\u0000')) return;
    const data = {
      choices: entry.choices as unknown as Prisma.InputJsonValue,
      completionTokens: entry.usage.completionTokens,
      promptTokens: entry.usage.promptTokens,
      model: entry.model,
      revision: entry.revision,
      expiresAt: entry.expiresAt,
    };
    await this.prisma.responseCacheEntry.upsert({ where: { key: entry.key }, create: { key: entry.key, ...data }, update: data });
  }

  /** Deletes expired rows, then the oldest beyond `maxRows`; returns how many went. */
  async prune(now: Date, maxRows: number): Promise<number> {
    const expired = await this.prisma.responseCacheEntry.deleteMany({ where: { expiresAt: { lte: now } } });
    const count = await this.prisma.responseCacheEntry.count();
    if (count <= maxRows) return expired.count;
    const cutoff = await this.prisma.responseCacheEntry.findFirst({
      orderBy: { createdAt: 'desc' },
      skip: maxRows,
      select: { createdAt: true },
    });
    if (!cutoff) return expired.count;
    const oldest = await this.prisma.responseCacheEntry.deleteMany({ where: { createdAt: { lte: cutoff.createdAt } } });
    return expired.count + oldest.count;
  }
}
