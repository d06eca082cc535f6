import type { Logger } from '@lemur/shared-logging';
import pg from 'pg';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** PostgreSQL identifiers a LISTEN may name here: plain lower-case words, so the name never needs quoting. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export interface NotificationListenerOptions {
  /** PostgreSQL URL; the listener holds one connection of its own. */
  url: string;
  channel: string;
  /** Called with each notification's payload (NOTIFY is delivered at commit, in commit order). */
  onNotify: (payload: string) => void;
  /**
   * Called each time the listener listens again after a failed or lost connection: notifications sent meanwhile were
   * lost, so whatever they would have invalidated must be dropped as a whole. Not called when the first attempt works.
   */
  onGap: () => void;
  logger: Logger;
}

/**
 * LISTENs on one channel with a dedicated connection, and reconnects (with backoff) whenever the connection ends, so a
 * database restart or failover costs a cache flush, never a process crash or a stale cache.
 */
export class NotificationListener {
  private client: pg.Client | null = null;
  private closed = false;
  /** Set when the connection failed or was lost since the listener last listened: notifications may have been missed. */
  private gap = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: NotificationListenerOptions) {
    if (!CHANNEL.test(opts.channel)) throw new Error(`notification channel ${JSON.stringify(opts.channel)} must be a lower-case identifier`);
  }

  /** Connects and LISTENs; resolves once listening. A failure is logged and retried in the background, never thrown. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** True while a connection is listening. */
  get listening(): boolean {
    return this.client !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.opts.url, application_name: `lemur-listen-${this.opts.channel}`.slice(0, 63), connectionTimeoutMillis: 10_000 });
    // 'error' and 'end' both mean the connection is gone: one handler, run once, schedules the reconnect.
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      this.gap = true;
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.opts.logger.warn({ err, channel: this.opts.channel, retryInMs: this.retryMs }, 'notification listener lost its connection; reconnecting');
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel === this.opts.channel) this.opts.onNotify(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.opts.channel}`);
    } catch (err) {
      onLost(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    if (this.gap) {
      this.gap = false;
      this.opts.logger.info({ channel: this.opts.channel }, 'notification listener listening again; dropping what a missed notification may have changed');
      this.opts.onGap();
    }
  }

  private scheduleReconnect(): void {
    if (this.retryTimer || this.closed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, wait);
    this.retryTimer.unref();
  }
}
