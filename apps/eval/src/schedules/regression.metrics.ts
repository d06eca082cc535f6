import { Counter, type Registry } from 'prom-client';
import type { RunComparisonData } from '../runs/compare-runs/run-comparison';
import type { DueSchedule } from './schedule.types';

/**
 * Scheduled runs flagged as regressions, labelled by team, schedule name and benchmark (all bounded: teams and
 * schedules are admin-made objects, benchmarks come from the catalog) so each team's dashboards and alerts see their
 * own schedules. Series are not pre-set to 0: the teams and schedules are not known at start-up, and a series made here
 * may not be the one the regression lands on (another replica); the LemurEvalRegressionDetected alert counts a series
 * that appears already above 0 instead.
 */
export class RegressionMetrics {
  private readonly regressions: Counter<'team' | 'schedule' | 'benchmark'>;

  constructor(registry: Registry) {
    this.regressions = new Counter({
      name: 'lemur_eval_regressions_total',
      help: 'Scheduled runs flagged as regressions: significantly worse than their baseline on comparable settings, by team, schedule and benchmark.',
      labelNames: ['team', 'schedule', 'benchmark'],
      registers: [registry],
    });
  }

  /**
   * Counts a scheduled run's check when it flags a regression (comparable, significant, worse). Ad-hoc comparisons
   * (`lemur compare`, GET /v1/compare) are reads and never count: asking twice is not two regressions.
   */
  record(comparison: RunComparisonData, schedule: Pick<DueSchedule, 'teamName' | 'name'>): void {
    if (comparison.comparable && comparison.significant && comparison.delta < 0) {
      this.regressions.inc({ team: schedule.teamName, schedule: schedule.name, benchmark: comparison.benchmark });
    }
  }
}
