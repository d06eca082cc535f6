import type { Logger } from '@lemur/shared-logging';
import type { SampleQueue } from '../queue/sample-queue';
import type { RunStore, SampleStore } from './run-store';
import { summarizeRun, type RunSummaryData } from './run-summary';
import type { RunRecord } from './run.types';

/** Computes run summaries and closes a run once none of its samples is pending. */
export class RunFinalizer {
  constructor(
    private readonly runs: RunStore,
    private readonly samples: SampleStore,
    private readonly queue: SampleQueue | null,
    private readonly logger: Logger,
    private readonly onFinished: (status: string) => void = () => undefined,
  ) {}

  /** The live summary of a run (metrics so far while it runs). */
  async summarize(run: RunRecord, finishedAt: Date | null = run.finishedAt): Promise<RunSummaryData> {
    const [counts, scored] = await Promise.all([this.samples.countsByStatus(run.id), this.samples.scoredRows(run.id)]);
    return summarizeRun({
      metric: run.spec.metric,
      samplesPerItem: run.config.samplesPerItem,
      scored,
      counts,
      startedAt: run.startedAt,
      finishedAt,
      now: new Date(),
    });
  }

  async finishIfDone(runId: string): Promise<void> {
    if (await this.samples.hasPending(runId)) return;
    const counts = await this.samples.countsByStatus(runId);
    const run = await this.runs.findById(runId);
    if (!run || (run.status !== 'RUNNING' && run.status !== 'QUEUED')) return;
    const summary = await this.summarize(run, new Date());
    // A run whose every sample errored has no score: it failed, it did not score 0.
    const failed = counts.scored === 0 && counts.errored > 0;
    const won = await this.runs.finish(
      runId,
      failed ? 'FAILED' : 'SUCCEEDED',
      summary,
      failed ? `all ${counts.errored} samples errored` : undefined,
    );
    if (!won) return;
    this.onFinished(failed ? 'FAILED' : 'SUCCEEDED');
    this.logger.info({ runId, counts, metrics: summary.metrics }, 'run finished');
    await this.queue?.drop(runId);
  }
}
