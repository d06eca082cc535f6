import type { Logger } from '@lemur/shared-logging';
import { PeriodicRefresh } from '../periodic-refresh';
import { KeyFilter } from './key-filter';
import type { ResponseCacheRepository } from './response-cache.repository';

/** How the index of stored keys is sized and kept current. */
export interface StoredKeysOptions {
  /** Keys the table is expected to hold (the cache's row bound): the size of the filter. */
  capacity: number;
  /** How often keys written since the last refresh (by any replica) are read; the longest another replica's key is unseen. */
  refreshEveryMs: number;
}

/** How often a replica reads the keys others stored when nothing else is set (INFERENCE_CACHE_KEYS_REFRESH_MS's default). */
export const DEFAULT_KEYS_REFRESH_MS = 5_000;

// A row's created_at is the start of the transaction that inserted it, which may commit after a refresh read past that
// time: each refresh reads from this far behind the previous one's clock, so such a row is still seen.
const OVERLAP_MS = 5_000;
// Keys read per statement of a full load.
const PAGE_KEYS = 10_000;
// More new keys than this since the last refresh: load everything again (paged) rather than in one answer.
const MAX_NEW_KEYS = 50_000;
// With no successful refresh for this many intervals (failing or hung), the filter is not trusted.
const STALE_AFTER_INTERVALS = 3;

type KeyReader = Pick<ResponseCacheRepository, 'keyPage' | 'keysCreatedSince'>;

/**
 * Which keys the response cache table may hold, in memory, so a lookup of a key it surely does not hold skips the
 * database. Loaded at start, then refreshed with the rows created since the last refresh. It only ever errs towards
 * "may hold": a key added here or written before the last refresh is never reported absent, and while it is not loaded,
 * or its refreshes fail, every key may be held (the cache queries, as without it).
 */
export class StoredKeysService {
  private filter: KeyFilter | undefined;
  /** The filter a full load is filling: keys added meanwhile go to both. */
  private loading: KeyFilter | undefined;
  /** Database clock to read new rows from. */
  private since: Date | undefined;
  /** Local clock of the last successful refresh; undefined while the last one failed. */
  private refreshedAt: number | undefined;
  private loadedKeys = 0;
  private readonly refresher: PeriodicRefresh;

  constructor(
    private readonly reader: KeyReader,
    private readonly options: StoredKeysOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.refresher = new PeriodicRefresh(() => this.refreshOnce(), options.refreshEveryMs);
  }

  /** Loads the keys, then refreshes them every `refreshEveryMs` until {@link close}. */
  start(): void {
    void this.refresher.start();
  }

  /** False only when the table surely does not hold `key`, as of the last refresh and this process's own writes. */
  mayHold(key: string): boolean {
    const trusted = this.refreshedAt !== undefined && this.now() - this.refreshedAt <= STALE_AFTER_INTERVALS * this.options.refreshEveryMs;
    return !this.filter || !trusted || this.filter.mightContain(key);
  }

  /** A key this process is writing: held from now on. */
  add(key: string): void {
    this.filter?.add(key);
    this.loading?.add(key);
  }

  /** One refresh (joins the one running); never rejects: a failure is logged and leaves every key possibly held. */
  refresh(): Promise<void> {
    return this.refresher.refresh();
  }

  /** Stops refreshing; a refresh under way is not waited for (a hung database must not hold up a shutdown). */
  close(): void {
    this.refresher.close();
  }

  private async refreshOnce(): Promise<void> {
    const failing = this.filter !== undefined && this.refreshedAt === undefined;
    try {
      if (!this.filter || !this.since || this.filter.full) {
        await this.load();
      } else {
        const batch = await this.reader.keysCreatedSince(this.since, MAX_NEW_KEYS);
        if (batch.keys.length >= MAX_NEW_KEYS) {
          await this.load();
        } else {
          for (const key of batch.keys) this.filter.add(key);
          this.since = behind(batch.at);
        }
      }
      this.refreshedAt = this.now();
      if (failing) this.logger.info('response cache keys refreshed again; lookups of absent keys skip the database');
    } catch (err) {
      this.refreshedAt = undefined;
      if (!this.refresher.closed) this.logger.warn({ err }, 'response cache key refresh failed; every lookup queries the database until one succeeds');
    }
  }

  /** Reads every key into a new filter (sized for what the last load found, if more), then swaps it in. */
  private async load(): Promise<void> {
    const started = this.now();
    const next = new KeyFilter(Math.max(this.options.capacity, 2 * this.loadedKeys));
    this.loading = next;
    try {
      let page = await this.reader.keyPage('', PAGE_KEYS);
      const since = behind(page.at);
      let count = 0;
      for (;;) {
        for (const key of page.keys) next.add(key);
        count += page.keys.length;
        const last = page.keys.at(-1);
        if (page.keys.length < PAGE_KEYS || last === undefined) break;
        page = await this.reader.keyPage(last, PAGE_KEYS);
      }
      this.filter = next;
      this.since = since;
      this.loadedKeys = count;
      this.logger.info({ keys: count, ms: this.now() - started }, 'response cache keys loaded');
    } finally {
      this.loading = undefined;
    }
  }
}

function behind(at: Date): Date {
  return new Date(at.getTime() - OVERLAP_MS);
}
