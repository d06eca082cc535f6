import type { Logger } from '@lemur/shared-logging';
import type { Gauge } from 'prom-client';
import type { RunRecord } from '../runs/run.types';
import { AimdLimiter, type CapacitySignal, type ConcurrencyPermit, type LimitChange } from './adaptive-concurrency';

/** What the limits need to know of a run. */
export type LimitedRun = Pick<RunRecord, 'modelName' | 'teamId' | 'teamName' | 'config' | 'spec'>;

interface ModelLimit {
  key: string;
  limiter: AimdLimiter;
  labels: { model: string; team: string };
}

/** A sample's slot under its model's limit; the worker fills in what the sample told about the endpoint. */
export interface HeldSlot {
  readonly limit: ModelLimit;
  readonly permit: ConcurrencyPermit;
  signal: CapacitySignal;
  /** The failure that made it an overload, for the log. */
  reason?: string;
}

/**
 * One worker's adaptive limits: an {@link AimdLimiter} per (model, team) of the runs it serves, bounded by the sum of
 * those runs' concurrency and the worker's own. Per team, not per model alone: a team's limits at inference
 * (INFERENCE_TEAM_*) refuse that team only, and must not slow another team's runs on the same model. A limit whose runs
 * have all ended is dropped once its samples are back (a later run starts afresh: the endpoint may have changed).
 * Re-scoring runs call no model and get none. Keeps the gauge and logs every decrease at info.
 */
export class ModelConcurrencyLimits {
  private readonly limits = new Map<string, ModelLimit>();

  constructor(
    private readonly gauge: Gauge<'model' | 'team'>,
    private readonly logger: Logger,
    private readonly opts: { initial: number; workerConcurrency: number },
  ) {}

  /** Matches the limits to the runs being served now. */
  fit(runs: readonly LimitedRun[]): void {
    const bounds = new Map<string, { labels: ModelLimit['labels']; bound: number }>();
    for (const run of runs) {
      if (run.spec.rescore !== undefined) continue;
      const key = keyOf(run);
      const seen = bounds.get(key);
      bounds.set(key, {
        labels: seen?.labels ?? { model: run.modelName, team: run.teamName ?? run.teamId },
        bound: (seen?.bound ?? 0) + run.config.concurrency,
      });
    }
    for (const [key, { labels, bound }] of bounds) {
      const max = Math.min(bound, this.opts.workerConcurrency);
      const limit = this.limits.get(key);
      if (limit) {
        this.changed(limit, limit.limiter.setMax(max), {});
        continue;
      }
      const limiter = new AimdLimiter({ initial: this.opts.initial, max });
      this.limits.set(key, { key, limiter, labels });
      this.gauge.set(labels, limiter.limit);
    }
    for (const [key, limit] of this.limits) {
      if (bounds.has(key) || limit.limiter.inFlight > 0) continue;
      this.limits.delete(key);
      this.gauge.remove(limit.labels);
    }
  }

  /** Samples of this run's model and team that may start now (unbounded for runs that call no model). */
  available(run: LimitedRun): number {
    return this.limits.get(keyOf(run))?.limiter.available() ?? Infinity;
  }

  /** Takes a slot for one sample of the run; undefined when the run has no limit (re-scoring, or not fitted yet). */
  acquire(run: LimitedRun): HeldSlot | undefined {
    const limit = this.limits.get(keyOf(run));
    return limit ? { limit, permit: limit.limiter.acquire(), signal: 'neutral' } : undefined;
  }

  /** Gives a slot back with what its sample told. */
  release(slot: HeldSlot, context: { runId: string; sampleId: string }): void {
    const change = slot.limit.limiter.release(slot.permit, slot.signal);
    this.changed(slot.limit, change, { ...context, ...(slot.reason !== undefined ? { reason: slot.reason } : {}) });
  }

  private changed(limit: ModelLimit, change: LimitChange | undefined, context: { runId?: string; sampleId?: string; reason?: string }): void {
    if (!change) return;
    // A limit dropped while its last samples were finishing has no gauge any more; do not bring it back.
    if (this.limits.get(limit.key) === limit) this.gauge.set(limit.labels, change.to);
    const fields = { ...limit.labels, from: change.from, to: change.to, ...context };
    if (change.cause === 'overload') this.logger.info(fields, 'the model endpoint is overloaded: fewer samples at once for this model and team');
    else this.logger.debug({ ...fields, cause: change.cause }, 'model concurrency limit changed');
  }
}

function keyOf(run: Pick<LimitedRun, 'modelName' | 'teamId'>): string {
  return `${run.modelName}\u0000${run.teamId}`;
}
