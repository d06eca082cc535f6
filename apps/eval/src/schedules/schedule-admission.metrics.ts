import type { QuotaLimit } from '@lemur/shared-run-admission';
import { Counter, type Registry } from 'prom-client';

const REASONS: readonly QuotaLimit[] = ['concurrent_runs', 'daily_samples'];

/** Schedule ticks whose runs a team quota held back; the label is the quota (bounded: two values). */
export class ScheduleAdmissionMetrics {
  private readonly refusals: Counter<'reason'>;

  /** Every reason starts at 0, so the first refusal is an increase an alert can see. */
  constructor(registry: Registry) {
    this.refusals = new Counter({
      name: 'lemur_eval_schedule_quota_refusals_total',
      help: 'Schedule ticks whose runs a team quota held back (each retry that is refused again counts), by the quota: concurrent_runs or daily_samples.',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of REASONS) this.refusals.inc({ reason }, 0);
  }

  refused(reason: QuotaLimit): void {
    this.refusals.inc({ reason });
  }
}
