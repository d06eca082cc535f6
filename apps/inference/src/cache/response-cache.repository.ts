// The response cache's only access to the database: the response_cache_entry table.
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

/** Keys read in one statement, with the database's clock when it ran (the clock `created_at` is set by). */
export interface KeyBatch {
  at: Date;
  keys: string[];
}

interface CacheRow {
  choices: CachedCompletion['choices'];
  prompt_tokens: number;
  completion_tokens: number;
}

// find and save run for every cacheable request: plain prepared statements on the client's own pool, since building
// and compiling a Prisma query costs several times the CPU of the query itself on this path.
const FIND = 'SELECT choices, prompt_tokens, completion_tokens FROM response_cache_entry WHERE key = $1 AND expires_at > $2';
// Any number of rows in one statement (one prepared statement, one commit), a column per array.
const UPSERT =
  'INSERT INTO response_cache_entry (key, model, revision, choices, prompt_tokens, completion_tokens, expires_at) ' +
  'SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::int[], $7::timestamptz[]) ' +
  'ON CONFLICT (key) DO UPDATE SET model = EXCLUDED.model, revision = EXCLUDED.revision, ' +
  'choices = EXCLUDED.choices, prompt_tokens = EXCLUDED.prompt_tokens, completion_tokens = EXCLUDED.completion_tokens, expires_at = EXCLUDED.expires_at';
// The keys go out as one array (one row, whatever their number), with the clock of the statement even when there are none.
const KEY_PAGE = 'SELECT now() AS at, ARRAY(SELECT key FROM response_cache_entry WHERE key > $1 ORDER BY key LIMIT $2) AS keys';
const KEYS_SINCE = 'SELECT now() AS at, ARRAY(SELECT key FROM response_cache_entry WHERE created_at > $1 LIMIT $2) AS keys';

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
  save(entry: StoredCompletion): Promise<void> {
    return this.saveMany([entry]);
  }

  /** {@link save} for several completions in one statement; of two entries for one key, the later one is kept. */
  async saveMany(entries: readonly StoredCompletion[]): Promise<void> {
    const rows = new Map<string, { entry: StoredCompletion; choices: string }>();
    for (const entry of entries) {
      const choices = JSON.stringify(entry.choices);
      // A key written twice in one statement would be an error (ON CONFLICT cannot touch a row twice).
      rows.delete(entry.key);
      if (!choices.includes('\\u0000')) rows.set(entry.key, { entry, choices });
    }
    if (rows.size === 0) return;
    const batch = [...rows.values()];
    await this.sql.query({
      name: 'response-cache-upsert',
      text: UPSERT,
      values: [
        batch.map((r) => r.entry.key),
        batch.map((r) => r.entry.model),
        batch.map((r) => r.entry.revision),
        batch.map((r) => r.choices),
        batch.map((r) => r.entry.usage.promptTokens),
        batch.map((r) => r.entry.usage.completionTokens),
        batch.map((r) => r.entry.expiresAt),
      ],
    });
  }

  /**
   * Up to `limit` stored keys after `after`, in key order (a full read pages on the last key). Expired rows that were not
   * pruned yet are included: an upsert brings such a key back without changing its created_at.
   */
  async keyPage(after: string, limit: number): Promise<KeyBatch> {
    return this.keyBatch('response-cache-key-page', KEY_PAGE, [after, limit]);
  }

  /** Up to `limit` keys of rows created after `since` (database clock), in no order. */
  async keysCreatedSince(since: Date, limit: number): Promise<KeyBatch> {
    return this.keyBatch('response-cache-keys-since', KEYS_SINCE, [since, limit]);
  }

  private async keyBatch(name: string, text: string, values: unknown[]): Promise<KeyBatch> {
    const { rows } = await this.sql.query<KeyBatch>({ name, text, values });
    return rows[0]!;
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
