import type { Logger } from '@lemur/shared-logging';
import type { CachedCompletion } from './cached-completion';
import type { ResponseCacheRepository } from './response-cache.repository';

/** Bounds of the response cache. */
export interface ResponseCacheOptions {
  ttlMs: number;
  /** Entries kept in memory in front of the database (least recently used go first); 0 = database only. */
  memoryEntries: number;
  /** Rows kept in the database; older ones are pruned. */
  maxRows: number;
  /** How often expired and surplus rows are deleted. */
  pruneEveryMs?: number;
}

interface MemoryEntry {
  value: CachedCompletion;
  expiresAt: number;
}

/**
 * Completions of deterministic requests, in PostgreSQL so they survive a restart (a resumed eval run does not pay twice),
 * with a small LRU in memory for the hot keys. The cache never fails a request: a database error is logged and counts
 * as a miss, and writes happen after the answer was sent.
 */
export class ResponseCacheService {
  private readonly memory = new Map<string, MemoryEntry>();
  private readonly pending = new Set<Promise<void>>();
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(
    private readonly repository: ResponseCacheRepository,
    private readonly options: ResponseCacheOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.pruneTimer = setInterval(() => void this.prune(), options.pruneEveryMs ?? 10 * 60_000);
    this.pruneTimer.unref();
  }

  async get(key: string): Promise<CachedCompletion | undefined> {
    const now = this.now();
    const entry = this.memory.get(key);
    if (entry && entry.expiresAt > now) {
      // Re-insert to mark it most recently used (a Map iterates in insertion order).
      this.memory.delete(key);
      this.memory.set(key, entry);
      return entry.value;
    }
    if (entry) this.memory.delete(key);
    try {
      const value = await this.repository.find(key, new Date(now));
      if (value) this.remember(key, value, now + this.options.ttlMs);
      return value;
    } catch (err) {
      this.logger.warn({ err }, 'response cache lookup failed; serving without the cache');
      return undefined;
    }
  }

  /** Stores a completion in memory now and in the database in the background ({@link flush} waits for it). */
  put(key: string, meta: { model: string; revision: string }, value: CachedCompletion): void {
    const expiresAt = this.now() + this.options.ttlMs;
    this.remember(key, value, expiresAt);
    // After the answer has gone out: the caller (inside a request) sends its response in this turn of the event loop,
    // and the write's own work (encoding, the query) must not come before it.
    const write = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.repository.save({ key, ...meta, ...value, expiresAt: new Date(expiresAt) }))
      .catch((err: unknown) => this.logger.warn({ err, model: meta.model }, 'response cache write failed'))
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  /** Waits for background writes (on shutdown, and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.flush();
  }

  private remember(key: string, value: CachedCompletion, expiresAt: number): void {
    if (this.options.memoryEntries === 0) return;
    this.memory.delete(key);
    this.memory.set(key, { value, expiresAt });
    while (this.memory.size > this.options.memoryEntries) this.memory.delete(this.memory.keys().next().value!);
  }

  private async prune(): Promise<void> {
    try {
      const deleted = await this.repository.prune(new Date(this.now()), this.options.maxRows);
      if (deleted > 0) this.logger.info({ deleted }, 'response cache pruned');
    } catch (err) {
      this.logger.warn({ err }, 'response cache prune failed');
    }
  }
}
