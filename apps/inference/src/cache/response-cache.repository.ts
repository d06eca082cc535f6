// The only place of the inference service that touches the database: the response_cache_entry table.
import { sqlPoolOf, type PrismaClient } from '@lemur/shared-database';
import type { Pool } from 'pg';
import type { CachedCompletion } from './cached-completion';

/** One stored completion with what it was made for. */
export interface StoredCompletion extends CachedCompletion {
  key: string;
  model: string;
  revision: string;
  expiresAt: Date;
}

interface CacheRow {
  choices: CachedCompletion['choices'];
  prompt_tokens: number;
  completion_tokens: number;
}

// find and save run for every cacheable request: plain prepared statements on the client's own pool, since building
// and compiling a Prisma query costs several times the CPU of the query itself on this path.
const FIND = 'SELECT choices, prompt_tokens, completion_tokens FROM response_cache_entry WHERE key = $1 AND expires_at > $2';
const UPSERT =
  'INSERT INTO response_cache_entry (key, model, revision, choices, prompt_tokens, completion_tokens, expires_at) ' +
  'VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) ON CONFLICT (key) DO UPDATE SET model = EXCLUDED.model, revision = EXCLUDED.revision, ' +
  'choices = EXCLUDED.choices, prompt_tokens = EXCLUDED.prompt_tokens, completion_tokens = EXCLUDED.completion_tokens, expires_at = EXCLUDED.expires_at';

export class ResponseCacheRepository {
  private readonly sql: Pool;

  constructor(private readonly prisma: PrismaClient) {
    this.sql = sqlPoolOf(prisma);
  }

  /** The unexpired completion stored under `key`, if any. */
  async find(key: string, now: Date): Promise<CachedCompletion | undefined> {
    const { rows } = await this.sql.query<CacheRow>({ name: 'response-cache-find', text: FIND, values: [key, now] });
    const row = rows[0];
    if (!row) return undefined;
    return { choices: row.choices, usage: { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens } };
  }

  /**
   * Stores or refreshes a completion (two runs racing on one key both write the same answer). A completion with a NUL
   * character is not stored: PostgreSQL cannot hold it, and a changed answer must never be replayed as the model's.
   */
  async save(entry: StoredCompletion): Promise<void> {
    const choices = JSON.stringify(entry.choices);
    if (choices.includes('\\u0000')) return;
    await this.sql.query({
      name: 'response-cache-upsert',
      text: UPSERT,
      values: [entry.key, entry.model, entry.revision, choices, entry.usage.promptTokens, entry.usage.completionTokens, entry.expiresAt],
    });
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
