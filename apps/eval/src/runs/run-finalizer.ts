import type { Logger } from '@lemur/shared-logging';
import type { SampleQueue } from '../queue/sample-queue';
import type { RunStore, SampleCounts, SampleStore } from './run-store';
import { summarizeRun, type RunSummaryData, type ScoredSampleRow } from './run-summary';
import type { RunRecord } from './run.types';

const LIVE_ROWS_TTL_MS = 1_000;

/** The fields of a run its live summary is computed from. */
export type LiveRun = Pick<RunRecord, 'id' | 'config' | 'spec' | 'startedAt' | 'finishedAt'>;

/** Computes run summaries and closes a run once none of its samples is pending. */
export class RunFinalizer {
  constructor(
    private readonly runs: RunStore,
    private readonly samples: SampleStore,
    private readonly queue: SampleQueue | null,
    private readonly logger: Logger,
    private readonly onFinished: (status: string) => void = () => undefined,
    /** Runs after a run finished (the regression check of scheduled runs); its failure is logged, the run stays final. */
    private readonly afterFinished: (runId: string) => Promise<unknown> = async () => undefined,
  ) {}

  private readonly rowsCache = new Map<string, { at: number; rows: Promise<ScoredSampleRow[]> }>();

  /**
   * The live summary of a running run: counts are always fresh; the per-sample rows behind the metrics are re-read at
   * most once a second, so clients polling progress do not make the database re-send every row on each poll.
   */
  async liveSummary(run: LiveRun): Promise<RunSummaryData> {
    const now = Date.now();
    let cached = this.rowsCache.get(run.id);
    if (!cached || now - cached.at > LIVE_ROWS_TTL_MS) {
      cached = { at: now, rows: this.samples.scoredRows(run.id) };
      cached.rows.catch(() => this.rowsCache.delete(run.id));
      this.rowsCache.set(run.id, cached);
      for (const [id, entry] of this.rowsCache) if (now - entry.at > 60_000) this.rowsCache.delete(id);
    }
    const [counts, scored] = await Promise.all([this.samples.countsByStatus(run.id), cached.rows]);
    return this.build(run, counts, scored, run.finishedAt);
  }

  /** The exact summary of a run, from all its samples as stored now. */
  async summarize(run: RunRecord, finishedAt: Date | null = run.finishedAt): Promise<RunSummaryData> {
    const [counts, scored] = await Promise.all([this.samples.countsByStatus(run.id), this.samples.scoredRows(run.id)]);
    return this.build(run, counts, scored, finishedAt);
  }

  private build(run: LiveRun, counts: SampleCounts, scored: ScoredSampleRow[], finishedAt: Date | null): RunSummaryData {
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
    try {
      await this.afterFinished(runId);
    } catch (err) {
      this.logger.error({ err, runId }, 'after-finish step failed (regression check)');
    }
  }
}
