import { Counter, type Registry } from 'prom-client';
import type { RunComparisonData } from '../runs/compare-runs/run-comparison';

/** Scheduled runs flagged as regressions; the label is the benchmark (bounded by the catalog). */
export class RegressionMetrics {
  private readonly regressions: Counter<'benchmark'>;

  /** `benchmarks` start at 0, so the first regression is an increase an alert can see. */
  constructor(registry: Registry, benchmarks: readonly string[]) {
    this.regressions = new Counter({
      name: 'lemur_eval_regressions_total',
      help: 'Scheduled runs flagged as regressions: significantly worse than their baseline on comparable settings, by benchmark.',
      labelNames: ['benchmark'],
      registers: [registry],
    });
    for (const benchmark of benchmarks) this.regressions.inc({ benchmark }, 0);
  }

  /**
   * Counts a scheduled run's check when it flags a regression (comparable, significant, worse). Ad-hoc comparisons
   * (`lemur compare`, GET /v1/compare) are reads and never count: asking twice is not two regressions.
   */
  record(comparison: RunComparisonData): void {
    if (comparison.comparable && comparison.significant && comparison.delta < 0) this.regressions.inc({ benchmark: comparison.benchmark });
  }
}
