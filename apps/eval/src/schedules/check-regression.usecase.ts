import type { Logger } from '@lemur/shared-logging';
import { compareRunRecords, type RunComparisonData } from '../runs/compare-runs/run-comparison';
import type { RunStore, SampleStore } from '../runs/run-store';
import type { RegressionCheckData, RunRecord } from '../runs/run.types';
import type { RegressionWebhook } from './regression-webhook';
import type { ScheduleRepository } from './schedule.repository';
import type { DueSchedule } from './schedule.types';

/**
 * When a scheduled run finishes: records the schedule's success, compares the run to its baseline with the same logic
 * as `lemur compare` (paired bootstrap, McNemar) and flags a regression when the candidate is significantly worse on
 * comparable settings. The flag is stored on the run, counted in `lemur_eval_regressions_total` (through `onCompared`)
 * and posted, signed, to the schedule's webhook.
 */
export class CheckRegressionUseCase {
  constructor(
    private readonly runs: RunStore,
    private readonly samples: SampleStore,
    private readonly schedules: ScheduleRepository,
    private readonly webhook: RegressionWebhook,
    private readonly logger: Logger,
    /** Sees every comparison of a scheduled run with the schedule it belongs to (the metric's team and schedule labels). */
    private readonly onCompared: (comparison: RunComparisonData, schedule: DueSchedule) => void = () => undefined,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async execute(runId: string): Promise<RegressionCheckData | null> {
    const run = await this.runs.findById(runId);
    if (!run?.scheduleId || (run.status !== 'SUCCEEDED' && run.status !== 'FAILED')) return null;
    const schedule = await this.schedules.findById(run.scheduleId);
    if (!schedule) return null;
    if (run.status !== 'SUCCEEDED') return null;
    await this.schedules.markSuccess(schedule.id, run.finishedAt ?? this.clock());

    const check = await this.compare(run, schedule);
    await this.schedules.recordRegression(run.id, check);
    if (check.regressed) {
      this.logger.warn({ runId: run.id, scheduleId: schedule.id, baselineRunId: check.baselineRunId, delta: check.delta }, 'scheduled run regressed');
      if (schedule.webhookUrl) {
        // One event per regressed run: the id stays the same on every attempt and if the check is ever run again.
        await this.webhook.post({ url: schedule.webhookUrl, secret: schedule.webhookSecret, eventId: `evt_${run.id}` }, {
          event: 'lemur.regression',
          team: schedule.teamName,
          schedule: { id: schedule.id, name: schedule.name },
          run: { id: run.id, model: run.modelName, benchmark: run.benchmark },
          baselineRunId: check.baselineRunId ?? '',
          delta: check.delta,
          ci: check.ci,
          pValue: check.pValue,
          regressedItems: check.regressedItems,
        });
      }
    }
    return check;
  }

  private async compare(run: RunRecord, schedule: DueSchedule): Promise<RegressionCheckData> {
    const unchecked = (baselineRunId: string | null, note: string): RegressionCheckData => ({
      baselineRunId,
      regressed: false,
      delta: 0,
      ci: [0, 0],
      pValue: 1,
      significant: false,
      comparable: false,
      regressedItems: 0,
      note,
      checkedAt: this.clock().toISOString(),
    });
    const baselineId =
      schedule.baseline === 'previous'
        ? await this.schedules.previousSucceededRun(schedule.id, run.benchmark, run.createdAt, run.id)
        : schedule.baseline;
    if (!baselineId) return unchecked(null, 'no earlier successful run of this schedule and benchmark to compare with');
    const baseline = await this.runs.findForTeam(run.teamId, baselineId);
    if (!baseline) return unchecked(baselineId, `baseline run ${baselineId} no longer exists`);
    const [rowsA, rowsB] = await Promise.all([this.samples.itemScores(baseline.id), this.samples.itemScores(run.id)]);
    const c = compareRunRecords(baseline, run, rowsA, rowsB);
    this.onCompared(c, schedule);
    const regressed = c.comparable && c.significant && c.delta < 0;
    return {
      baselineRunId: baseline.id,
      regressed,
      delta: c.delta,
      ci: c.ci,
      pValue: c.mcnemar?.pValue ?? c.bootstrapPValue,
      significant: c.significant,
      comparable: c.comparable,
      regressedItems: c.regressedCount,
      note: c.comparable ? '' : `not comparable: ${c.differences.filter((d) => d.breaksComparability).map((d) => d.field).join(', ')} differ`,
      checkedAt: this.clock().toISOString(),
    };
  }
}
