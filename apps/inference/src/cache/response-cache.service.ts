import type { Logger } from '@lemur/shared-logging';
import type { CachedCompletion } from './cached-completion';
import type { ResponseCacheRepository, StoredCompletion } from './response-cache.repository';
import { DEFAULT_KEYS_REFRESH_MS, StoredKeysService } from './stored-keys.service';

/** Bounds of the response cache. */
export interface ResponseCacheOptions {
  ttlMs: number;
  /** Entries kept in memory in front of the database (least recently used go first); 0 = database only. */
  memoryEntries: number;
  /** Rows kept in the database; older ones are pruned. */
  maxRows: number;
  /** How often expired and surplus rows are deleted. */
  pruneEveryMs?: number;
  /**
   * How often the keys other replicas stored are read into this one's index of stored keys (a lookup of a key the
   * index does not hold skips the database): the longest another replica's completion goes unseen here.
   */
  refreshKeysEveryMs?: number;
}

// Background writes wait this long for company: the completions of a window go out as one statement and one commit,
// and none runs in the moment after its answer was sent, when the caller is busy with it on the same machine.
const WRITE_BATCH_MS = 100;
// A window's batch is written at once when it grows this large.
const MAX_WRITE_BATCH = 256;

interface MemoryEntry {
  value: CachedCompletion;
  expiresAt: number;
}

/**
 * Completions of deterministic requests, in PostgreSQL so they survive a restart (a resumed eval run does not pay twice),
 * with a small LRU in memory for the hot keys, and an index of the stored keys so that a miss (every request of a first
 * eval run) does not wait for the database. The cache never fails a request: a database error is logged and counts as a
 * miss, and writes happen after the answer was sent.
 */
export class ResponseCacheService {
  private readonly memory = new Map<string, MemoryEntry>();
  private readonly pending = new Set<Promise<void>>();
  private queued: StoredCompletion[] = [];
  private writeTimer: NodeJS.Timeout | undefined;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly storedKeys: StoredKeysService;

  constructor(
    private readonly repository: ResponseCacheRepository,
    private readonly options: ResponseCacheOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.pruneTimer = setInterval(() => void this.prune(), options.pruneEveryMs ?? 10 * 60_000);
    this.pruneTimer.unref();
    this.storedKeys = new StoredKeysService(
      repository,
      { capacity: options.maxRows, refreshEveryMs: options.refreshKeysEveryMs ?? DEFAULT_KEYS_REFRESH_MS },
      logger,
      now,
    );
    this.storedKeys.start();
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
    if (!this.storedKeys.mayHold(key)) return undefined;
    try {
      const value = await this.repository.find(key, new Date(now));
      if (value) this.remember(key, value, now + this.options.ttlMs);
      return value;
    } catch (err) {
      this.logger.warn({ err }, 'response cache lookup failed; serving without the cache');
      return undefined;
    }
  }

  /**
   * Stores a completion in memory now and in the database in the background, batched with the others of the next
   * WRITE_BATCH_MS ({@link flush} writes and waits for them).
   */
  put(key: string, meta: { model: string; revision: string }, value: CachedCompletion): void {
    const expiresAt = this.now() + this.options.ttlMs;
    this.remember(key, value, expiresAt);
    this.storedKeys.add(key);
    this.queued.push({ key, ...meta, ...value, expiresAt: new Date(expiresAt) });
    if (this.queued.length >= MAX_WRITE_BATCH) this.writeQueued();
    else this.writeTimer ??= setTimeout(() => this.writeQueued(), WRITE_BATCH_MS);
  }

  /** Writes what is queued and waits for every background write (on shutdown, and in tests). */
  async flush(): Promise<void> {
    this.writeQueued();
    await Promise.all([...this.pending]);
  }

  private writeQueued(): void {
    clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    const write = this.repository
      .saveMany(batch)
      .catch((err: unknown) => this.logger.warn({ err, rows: batch.length, models: [...new Set(batch.map((e) => e.model))] }, 'response cache write failed'))
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  /** Reads the keys stored since the last refresh now, rather than on the interval (tests). */
  refreshKeys(): Promise<void> {
    return this.storedKeys.refresh();
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    this.storedKeys.close();
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
