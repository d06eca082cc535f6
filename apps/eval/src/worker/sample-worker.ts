import { setMaxListeners } from 'node:events';
import type { Logger } from '@lemur/shared-logging';
import { SpanKind, activeSpan, contextFromTraceparent, withSpan } from '@lemur/shared-tracing';
import { type RunFinalizer } from '../runs/run-finalizer';
import type { RunStore, SampleStore } from '../runs/run-store';
import type { RunRecord, SampleResult } from '../runs/run.types';
import type { SampleJob, SampleQueue } from '../queue/sample-queue';
import { DEFAULT_INITIAL_MODEL_CONCURRENCY } from './adaptive-concurrency';
import { ModelConcurrencyLimits, type HeldSlot } from './adaptive-concurrency-limits';
import { capacitySignalOf, retryAfterMsOf, retryDelayMs } from './adaptive-concurrency-signals';
import type { EvalMetrics } from './eval.metrics';
import type { SampleProcessor } from './sample-processor';

const ACTIVE_RUNS_TTL_MS = 500;
const IDLE_POLL_MS = 250;
const RECONCILE_EVERY_MS = 30_000;

/**
 * Takes sample jobs from the queue and processes them, at most `concurrency` at once in this process, at most each
 * run's own concurrency per run, and at most the adaptive limit of the run's model for its team (AIMD: halved when the
 * endpoint refuses with 429/503, grown back on successes), serving runs round-robin. A sample to be retried waits an
 * exponential backoff (or the Retry-After it was given) in the queue. Stateless: any number of workers can share one
 * database; each adapts its own limits.
 */
export class SampleWorker {
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inFlightByRun = new Map<string, number>();
  private readonly abortByRun = new Map<string, AbortController>();
  private inFlight = 0;
  private wakeSleeper: (() => void) | undefined;
  private woken = false;
  private activeRuns: { at: number; runs: RunRecord[] } = { at: 0, runs: [] };
  private lastReconcile = 0;
  private readonly tasks = new Set<Promise<void>>();
  private readonly markedRunning = new Set<string>();
  private readonly drainedRuns = new Set<string>();
  private readonly modelLimits: ModelConcurrencyLimits;

  constructor(
    private readonly queue: SampleQueue,
    private readonly runs: RunStore,
    private readonly samples: SampleStore,
    private readonly processor: SampleProcessor,
    private readonly finalizer: RunFinalizer,
    private readonly metrics: EvalMetrics,
    private readonly logger: Logger,
    private readonly opts: { concurrency: number; initialModelConcurrency?: number },
  ) {
    this.modelLimits = new ModelConcurrencyLimits(metrics.modelConcurrencyLimit, logger, {
      initial: opts.initialModelConcurrency ?? DEFAULT_INITIAL_MODEL_CONCURRENCY,
      workerConcurrency: opts.concurrency,
    });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop().catch((err: unknown) => this.logger.fatal({ err }, 'worker loop crashed'));
  }

  /** Stops taking jobs and waits for the samples in flight (their results are stored). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.tasks]);
  }

  private async loop(): Promise<void> {
    let cursor = 0;
    while (!this.stopped) {
      let fetched = 0;
      try {
        const runs = await this.active();
        this.modelLimits.fit(runs);
        await this.maybeReconcile(runs);
        for (let i = 0; i < runs.length && this.inFlight < this.opts.concurrency; i++) {
          const run = runs[(cursor + i) % runs.length]!;
          const free = Math.min(
            this.opts.concurrency - this.inFlight,
            run.config.concurrency - (this.inFlightByRun.get(run.id) ?? 0),
            this.modelLimits.available(run),
          );
          if (free <= 0) continue;
          const jobs = await this.queue.fetch(run.id, free);
          fetched += jobs.length;
          for (const job of jobs) this.launch(run, job);
          if (jobs.length < free) await this.onQueueDrained(run.id);
        }
        cursor += 1;
      } catch (err) {
        this.logger.error({ err }, 'worker poll failed; retrying');
      }
      const saturated = this.inFlight >= this.opts.concurrency;
      if (saturated || fetched === 0) await this.sleep(saturated ? 60_000 : IDLE_POLL_MS);
    }
  }

  /** Sleeps until `ms` pass or a slot frees; a slot freed while the loop was busy ends the next sleep at once. */
  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  private async active(): Promise<RunRecord[]> {
    const now = Date.now();
    if (now - this.activeRuns.at > ACTIVE_RUNS_TTL_MS) {
      const runs = await this.runs.listActive();
      // Abort work of runs that were cancelled since the last look.
      const ids = new Set(runs.map((r) => r.id));
      for (const [runId, controller] of this.abortByRun) if (!ids.has(runId)) controller.abort();
      for (const runId of this.drainedRuns) if (!ids.has(runId)) this.drainedRuns.delete(runId);
      for (const runId of this.markedRunning) if (!ids.has(runId)) this.markedRunning.delete(runId);
      this.activeRuns = { at: now, runs };
    }
    return this.activeRuns.runs;
  }

  /** Re-queues pending samples of runs whose queue is empty (e.g. the process died between storing a run and queueing it). */
  private async maybeReconcile(runs: RunRecord[]): Promise<void> {
    if (Date.now() - this.lastReconcile < RECONCILE_EVERY_MS) return;
    this.lastReconcile = Date.now();
    for (const run of runs) {
      if ((this.inFlightByRun.get(run.id) ?? 0) > 0) continue;
      if ((await this.queue.outstanding(run.id)) > 0) continue;
      const pending = await this.samples.pendingIds(run.id);
      if (pending.length > 0) {
        this.logger.warn({ runId: run.id, pending: pending.length }, 're-queueing pending samples with no job');
        await this.queue.enqueue(run.id, pending);
      } else {
        await this.finalizer.finishIfDone(run.id);
      }
    }
  }

  /** The run's queue had no more jobs for this worker: from now on each finished sample may be the run's last. */
  private async onQueueDrained(runId: string): Promise<void> {
    const first = !this.drainedRuns.has(runId);
    this.drainedRuns.add(runId);
    // The last sample may have been finished by a worker that never saw the queue empty; close the run here then.
    if (first && (this.inFlightByRun.get(runId) ?? 0) === 0) await this.finalizer.finishIfDone(runId);
  }

  private launch(run: RunRecord, job: SampleJob): void {
    const slot = this.modelLimits.acquire(run);
    this.inFlight += 1;
    this.metrics.inFlight.inc();
    this.inFlightByRun.set(run.id, (this.inFlightByRun.get(run.id) ?? 0) + 1);
    let controller = this.abortByRun.get(run.id);
    if (!controller || controller.signal.aborted) {
      controller = new AbortController();
      // Every sample of the run in flight listens on this signal.
      setMaxListeners(0, controller.signal);
      this.abortByRun.set(run.id, controller);
    }
    const signal = controller.signal;
    // One span per sample, in the trace of the request that started the run; the model and sandbox calls are its children.
    const task = withSpan(
      'eval.sample',
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromTraceparent(job.traceparent),
        attributes: { 'run.id': run.id, 'sample.id': job.sampleId, benchmark: run.benchmark, model: run.modelName },
      },
      () => this.handle(run, job, signal, slot),
    )
      .catch((err: unknown) => this.logger.error({ err, runId: run.id, sampleId: job.sampleId }, 'sample handling failed'))
      .finally(() => {
        if (slot) this.modelLimits.release(slot, { runId: run.id, sampleId: job.sampleId });
        this.inFlight -= 1;
        this.metrics.inFlight.dec();
        const left = (this.inFlightByRun.get(run.id) ?? 1) - 1;
        if (left === 0) {
          this.inFlightByRun.delete(run.id);
          this.abortByRun.delete(run.id);
        } else this.inFlightByRun.set(run.id, left);
        this.tasks.delete(task);
        this.wake();
      });
    this.tasks.add(task);
  }

  /**
   * Stores a sample's result. When the database refuses this result's content (a data error, which would recur on
   * every retry and leave the sample pending until its job expires), the sample is stored ERRORED with the reason
   * instead, so the run ends and the failure is visible; connection errors are thrown for the job's usual retry.
   */
  private async record(sampleId: string, result: SampleResult): Promise<boolean> {
    try {
      return await this.samples.recordResult(sampleId, result);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const refused = typeof code === 'string' && /^(P2000|P2007|P2010|P2020|22\w{3})$/.test(code);
      const message = err instanceof Error ? (err.message.split('\n').filter(Boolean).pop() ?? err.message) : String(err);
      if (!refused && !/Code: `22\w{3}`/.test(message)) throw err;
      this.logger.error({ sampleId, err }, 'the database refused the sample result; storing it as errored');
      return this.samples.recordResult(sampleId, {
        ...result,
        status: 'ERRORED',
        score: null,
        passed: null,
        scoreDetail: null,
        transcript: null,
        completion: null,
        error: `the result could not be stored: ${message.slice(0, 500)}`,
      });
    }
  }

  /** Processes one sample; what it told about the endpoint's capacity goes into `slot` for its model's limit. */
  private async handle(run: RunRecord, job: SampleJob, signal: AbortSignal, slot: HeldSlot | undefined): Promise<void> {
    const sample = await this.samples.claim(job.sampleId);
    if (!sample) {
      // Already scored by an earlier attempt whose worker died before completing the job, or cancelled.
      this.metrics.samples.inc({ benchmark: run.benchmark, outcome: 'skipped' });
      await this.queue.complete(job);
      return;
    }
    if (run.status === 'QUEUED' && !this.markedRunning.has(run.id)) {
      this.markedRunning.add(run.id);
      await this.runs.markRunning(run.id);
    }
    const attempt = sample.attempts;
    activeSpan()?.setAttribute('sample.attempt', attempt);
    const timer = this.metrics.sampleDuration.startTimer({ benchmark: run.benchmark });
    const outcome = await this.processor.process(run, sample, attempt, signal);
    timer();
    if (slot) {
      slot.signal = capacitySignalOf(outcome);
      if (slot.signal === 'overload') slot.reason = outcome.kind === 'retry' ? outcome.reason : (outcome.result.error ?? undefined);
    }
    if (outcome.kind === 'retry') {
      // Backoff for every retry, not only overloads: a sandbox or replica that is back up costs a second or two more,
      // an overloaded one is not hit again by the same samples at the same moment.
      const delayMs = retryDelayMs(attempt, retryAfterMsOf(outcome.error));
      this.metrics.samples.inc({ benchmark: run.benchmark, outcome: 'retried' });
      this.logger.warn({ runId: run.id, sampleId: sample.id, attempt, delayMs, reason: outcome.reason }, 'sample will be retried');
      await this.queue.fail(job, outcome.reason, delayMs);
      return;
    }
    const won = await this.record(sample.id, outcome.result);
    activeSpan()?.setAttribute('sample.status', outcome.result.status);
    this.metrics.samples.inc({
      benchmark: run.benchmark,
      outcome: won ? outcome.result.status.toLowerCase() : 'skipped',
    });
    await this.queue.complete(job);
    // While the run still has queued jobs it cannot be done; only look once this worker found its queue empty.
    if (won && this.drainedRuns.has(run.id)) await this.finalizer.finishIfDone(run.id);
  }
}
