import type { SandboxLanguage, SandboxLimitName, SandboxLimits } from '@lemur/sandbox-policy';
import type { Logger } from '@lemur/shared-logging';
import type { Gauge } from 'prom-client';
import type { IdleGate } from './idle-gate';

/** Something a warm pool pre-starts: handed out at most once, closed by the pool only while nobody holds it. */
export interface WarmPoolItem {
  /** True once it has died or been closed (it is then never handed out). */
  readonly ended: boolean;
  onEnded(listener: () => void): void;
  close(): Promise<void>;
}

/** How a warm pool starts and hands out its items. */
export interface WarmPoolOptions<T extends WarmPoolItem> {
  /** Items kept ready per language; 0 disables the pool. */
  size: number;
  languages: readonly SandboxLanguage[];
  /** Limits every item is started with. */
  limits: SandboxLimits;
  /** The limits fixed when an item starts: a request gets an item only when it asks for exactly these values. */
  fixed: readonly SandboxLimitName[];
  start(language: SandboxLanguage, limits: SandboxLimits): Promise<T>;
  /** Items waiting, by language. */
  ready: Gauge<'language'>;
  logger: Logger;
  /** What an item is, for logs ("session interpreter"). */
  what: string;
  /** Starts in flight at once per language (default 1: a burst of starts would compete with the runs for the CPU). */
  parallelStarts?: number;
  /** Wait before retrying after a failed start (default 5 s). */
  retryMs?: number;
  /** When given, a start begins only while the gate has an idle slot (runs first), and refills resume when one frees. */
  gate?: IdleGate;
}

/**
 * Keeps `size` items per language started with fixed limits, so a request need not pay the start-up. An item is
 * handed out once and never returns; refills run in the background. Shared by the session pool (interpreters) and
 * the one-shot pool of the local backend (empty sandboxes waiting for their program).
 */
export class WarmPool<T extends WarmPoolItem> {
  private readonly readyItems = new Map<SandboxLanguage, T[]>();
  private readonly starting = new Map<SandboxLanguage, number>();
  private readonly retries = new Set<NodeJS.Timeout>();
  /** Languages waiting out a pause after a failed start or a dead item: nothing (not even a freed slot) refills them. */
  private readonly cooling = new Set<SandboxLanguage>();
  private readonly fullWaiters: (() => void)[] = [];
  private disposed = false;
  private readonly parallelStarts: number;

  constructor(private readonly opts: WarmPoolOptions<T>) {
    this.parallelStarts = Math.max(1, opts.parallelStarts ?? 1);
    opts.gate?.onIdle(() => {
      for (const language of this.opts.languages) this.refill(language);
    });
  }

  /** The limits items are started with. */
  get limits(): SandboxLimits {
    return this.opts.limits;
  }

  /** Starts filling the pool (no-op when the size is 0). */
  start(): void {
    for (const language of this.opts.languages) this.refill(language);
  }

  /** Whether an item of this pool could serve a request (ignoring whether one is ready now). */
  fits(language: SandboxLanguage, limits: SandboxLimits): boolean {
    return this.opts.size > 0 && this.opts.languages.includes(language) && this.opts.fixed.every((k) => limits[k] === this.opts.limits[k]);
  }

  /** A ready item for these limits, or null when the pool has none that fits. The caller owns (and closes) it. */
  take(language: SandboxLanguage, limits: SandboxLimits): T | null {
    if (!this.fits(language, limits)) return null;
    const list = this.readyItems.get(language) ?? [];
    let item: T | undefined;
    while ((item = list.shift()) !== undefined && item.ended) void item.close();
    this.opts.ready.set({ language }, list.length);
    this.refill(language);
    return item ?? null;
  }

  /** Resolves once every language has `size` items ready and no start is in flight (or the pool is disposed). */
  whenFull(): Promise<void> {
    if (this.isFull()) return Promise.resolve();
    return new Promise((resolve) => this.fullWaiters.push(resolve));
  }

  /** Stops refilling and closes the items still waiting. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const t of this.retries) clearTimeout(t);
    while ([...this.starting.values()].some((n) => n > 0)) await new Promise((r) => setTimeout(r, 20));
    const all = [...this.readyItems.values()].flat();
    this.readyItems.clear();
    await Promise.all(all.map((s) => s.close()));
    this.notifyFull();
  }

  private isFull(): boolean {
    if (this.disposed || this.opts.size === 0) return true;
    return this.opts.languages.every((l) => (this.starting.get(l) ?? 0) === 0 && (this.readyItems.get(l)?.length ?? 0) >= this.opts.size);
  }

  private notifyFull(): void {
    if (!this.isFull()) return;
    for (const w of this.fullWaiters.splice(0)) w();
  }

  private refill(language: SandboxLanguage): void {
    if (this.disposed || this.cooling.has(language)) return;
    const list = this.readyItems.get(language) ?? [];
    this.readyItems.set(language, list);
    while (true) {
      const starting = this.starting.get(language) ?? 0;
      if (starting >= this.parallelStarts || list.length + starting >= this.opts.size) break;
      if (this.opts.gate !== undefined && !this.opts.gate.tryStart()) break;
      this.starting.set(language, starting + 1);
      this.startOne(language, list);
    }
    this.notifyFull();
  }

  private startOne(language: SandboxLanguage, list: T[]): void {
    const { logger, ready } = this.opts;
    const done = () => this.starting.set(language, (this.starting.get(language) ?? 1) - 1);
    this.opts.start(language, this.opts.limits).then(
      async (item) => {
        done();
        if (this.disposed) {
          this.opts.gate?.startEnded();
          await item.close();
          return;
        }
        list.push(item);
        // Only now, with the item counted, may the freed slot start another.
        this.opts.gate?.startEnded();
        item.onEnded(() => {
          const i = list.indexOf(item);
          if (i >= 0) {
            list.splice(i, 1);
            void item.close();
            ready.set({ language }, list.length);
            // Replaced after a pause, so an item that keeps dying cannot turn the refill into a tight loop.
            this.retryLater(language);
          }
        });
        ready.set({ language }, list.length);
        this.refill(language);
      },
      (err: unknown) => {
        done();
        logger.error({ err, language }, `cannot pre-start a ${this.opts.what}; retrying`);
        this.retryLater(language);
        this.opts.gate?.startEnded();
      },
    );
  }

  private retryLater(language: SandboxLanguage): void {
    if (this.disposed || this.cooling.has(language)) return;
    this.cooling.add(language);
    const t = setTimeout(() => {
      this.retries.delete(t);
      this.cooling.delete(language);
      this.refill(language);
    }, this.opts.retryMs ?? 5_000);
    this.retries.add(t);
  }
}
