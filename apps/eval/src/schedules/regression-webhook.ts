import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@lemur/shared-logging';
import { request, type Dispatcher } from 'undici';
import { addressRefusalOf, webhookDispatcher } from './webhook-address-guard';
import type { WebhookDeliveryMetrics, WebhookDeliveryOutcome } from './webhook-delivery.metrics';
import { signWebhook } from './webhook-signature';

/** What a regression webhook receives (JSON POST). */
export interface RegressionEvent {
  event: 'lemur.regression';
  team: string;
  schedule: { id: string; name: string };
  run: { id: string; model: string; benchmark: string };
  baselineRunId: string;
  delta: number;
  ci: [number, number];
  pValue: number;
  regressedItems: number;
}

/** Where and how one event is delivered. */
export interface WebhookTarget {
  url: string;
  /** The schedule's signing secret; null for a schedule made before webhooks were signed (delivered unsigned). */
  secret: string | null;
  /** Stable for the event: the same on every attempt, so receivers can drop repeats. */
  eventId: string;
}

export interface RegressionWebhookOptions {
  /** Deliver to loopback and private addresses too (EVAL_WEBHOOK_ALLOW_PRIVATE; a local platform where all is loopback). */
  allowPrivate: boolean;
  metrics?: WebhookDeliveryMetrics;
  /** Per attempt. */
  timeoutMs?: number;
  /** Waits before the second, third ... attempt; their count + 1 is the number of attempts. */
  backoffMs?: readonly number[];
  /** The longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs?: number;
  clock?: () => Date;
  /** Replaces the guarded connection pool (tests). */
  dispatcher?: Dispatcher;
}

type Attempt = { outcome: WebhookDeliveryOutcome; retry: boolean; retryAfterMs?: number; status?: number; err?: unknown };

/** Retry-After in ms (seconds or an HTTP date); undefined when absent or unreadable. */
function retryAfterMs(header: string | string[] | undefined, now: Date): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}

/**
 * Posts regression flags to a schedule's webhook, signed (X-Lemur-Signature over X-Lemur-Timestamp and the raw body),
 * only to public addresses unless allowed otherwise, retrying network errors, timeouts, 429 and 5xx with backoff. A
 * failing hook is logged and counted, never fails the run.
 */
export class RegressionWebhook {
  private readonly dispatcher: Dispatcher;
  private readonly timeoutMs: number;
  private readonly backoffMs: readonly number[];
  private readonly maxRetryAfterMs: number;
  private readonly clock: () => Date;

  constructor(
    private readonly logger: Logger,
    private readonly options: RegressionWebhookOptions,
  ) {
    this.dispatcher = options.dispatcher ?? webhookDispatcher(options.allowPrivate);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoffMs = options.backoffMs ?? [1_000, 4_000];
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.clock = options.clock ?? (() => new Date());
  }

  async post(target: WebhookTarget, event: RegressionEvent): Promise<boolean> {
    const body = JSON.stringify(event);
    // Never the URL itself: its path or query may be the receiver's own secret.
    const ids = { runId: event.run.id, scheduleId: event.schedule.id, eventId: target.eventId, host: hostOf(target.url) };
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(target, body);
      const backoff = this.backoffMs[attempt - 1];
      if (result.outcome === 'delivered' || !result.retry || backoff === undefined) {
        this.options.metrics?.record(result.outcome);
        if (result.outcome === 'refused_address') this.logger.warn({ ...ids, err: result.err }, 'regression webhook refused: its address is on the platform network');
        else if (result.outcome !== 'delivered') {
          this.logger.warn({ ...ids, attempts: attempt, status: result.status, err: result.err }, 'regression webhook failed; the event is dropped');
        }
        return result.outcome === 'delivered';
      }
      const waitMs = Math.max(backoff, Math.min(result.retryAfterMs ?? 0, this.maxRetryAfterMs));
      this.logger.info({ ...ids, attempt, status: result.status, err: result.err, waitMs }, 'regression webhook attempt failed; retrying');
      await sleep(waitMs);
    }
  }

  private async attempt(target: WebhookTarget, body: string): Promise<Attempt> {
    const timestamp = Math.floor(this.clock().getTime() / 1000);
    try {
      const response = await request(target.url, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'lemur-eval',
          'x-lemur-event-id': target.eventId,
          'x-lemur-timestamp': String(timestamp),
          ...(target.secret ? { 'x-lemur-signature': signWebhook(target.secret, timestamp, body) } : {}),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body.dump();
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { outcome: 'delivered', retry: false, status };
      const retryAfter = retryAfterMs(response.headers['retry-after'], this.clock());
      return { outcome: 'http_error', retry: status === 429 || status >= 500, status, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
    } catch (err) {
      if (addressRefusalOf(err)) return { outcome: 'refused_address', retry: false, err: addressRefusalOf(err) };
      return { outcome: 'network_error', retry: true, err };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
