import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Histogram } from 'prom-client';
import type { GenerateMetrics } from './generate.metrics';

type Outcome = 'ok' | 'error' | 'cancelled' | 'rejected';

/** The metrics of one Generate call: which replica answered, token timing, usage, and how it ended (recorded once). */
export class RequestObservation {
  private replica = 'none';
  private lastChunkAt: number | undefined;
  private itl: Histogram.Internal<'model' | 'team' | 'replica'> | undefined;
  private ended = false;

  constructor(
    private readonly metrics: GenerateMetrics,
    private readonly model: string,
    private readonly team: string,
    private readonly startedAt: number,
  ) {}

  /** The replica now serving the request (the last one tried is the one the outcome is counted against). */
  routedTo(replica: string): void {
    this.replica = replica;
    this.itl = undefined;
  }

  retried(failedReplica: string): void {
    this.metrics.retries.inc({ model: this.model, team: this.team, replica: failedReplica });
  }

  /** A streamed chunk with text arrived: the first gives time to first token, later ones the inter-token gaps. */
  chunk(now: number): void {
    if (this.lastChunkAt === undefined) {
      this.metrics.timeToFirstToken.observe(this.labels(), (now - this.startedAt) / 1000);
    } else {
      // Resolved once per replica, which only spares building a labels object per token: prom-client still checks
      // the label names and hashes the values on every observe, through a `.labels()` child as well.
      this.itl ??= this.metrics.interTokenLatency.labels(this.labels());
      this.itl.observe((now - this.lastChunkAt) / 1000);
    }
    this.lastChunkAt = now;
  }

  usage(usage: { promptTokens: number; completionTokens: number }): void {
    this.metrics.promptTokens.inc(this.labels(), usage.promptTokens);
    this.metrics.completionTokens.inc(this.labels(), usage.completionTokens);
  }

  /** Records the outcome; `err` (when the call failed) decides between error, cancelled and rejected. */
  end(now: number, err?: unknown, signal?: AbortSignal): void {
    if (this.ended) return;
    this.ended = true;
    const outcome = outcomeOf(err, signal);
    this.metrics.requests.inc({ ...this.labels(), outcome });
    this.metrics.duration.observe({ ...this.labels(), outcome }, (now - this.startedAt) / 1000);
  }

  private labels() {
    return { model: this.model, team: this.team, replica: this.replica };
  }
}

function outcomeOf(err: unknown, signal: AbortSignal | undefined): Outcome {
  if (err === undefined) return 'ok';
  if (signal?.aborted || (err instanceof PlatformError && err.code === PlatformErrorCode.CANCELLED)) return 'cancelled';
  if (err instanceof PlatformError && err.code === PlatformErrorCode.RESOURCE_EXHAUSTED) return 'rejected';
  return 'error';
}
