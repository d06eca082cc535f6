import { Gauge, type Registry } from 'prom-client';
import { CronSchedule } from './cron-schedule';
import type { DueSchedule } from './schedule.types';

/**
 * Per-schedule gauges read by the LemurEvalScheduledRunMissed alert (helm/lemur/rules/lemur.rules.yaml): when the
 * schedule last succeeded (its creation time until it first does, so a schedule that never succeeds alerts too) and its
 * nominal interval. Labels: team and schedule name (bounded: schedules are admin-made objects).
 */
export class ScheduleMetrics {
  readonly lastSuccess: Gauge<'team' | 'schedule'>;
  readonly interval: Gauge<'team' | 'schedule'>;

  constructor(registry: Registry, list: () => Promise<DueSchedule[]>, clock: () => Date = () => new Date()) {
    let latest: Promise<DueSchedule[]> | undefined;
    // Both gauges read one listing per scrape.
    const read = () => (latest ??= list().finally(() => setTimeout(() => (latest = undefined), 0)));
    this.lastSuccess = new Gauge({
      name: 'lemur_eval_schedule_last_success_timestamp_seconds',
      help: 'Unix time of the last successful run of each schedule (its creation time until one succeeds).',
      labelNames: ['team', 'schedule'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of (await read()).filter((x) => x.enabled)) {
          this.set({ team: s.teamName, schedule: s.name }, (s.lastSuccessAt ?? s.createdAt).getTime() / 1000);
        }
      },
    });
    this.interval = new Gauge({
      name: 'lemur_eval_schedule_interval_seconds',
      help: 'Nominal seconds between two ticks of each schedule (from its cron expression and time zone).',
      labelNames: ['team', 'schedule'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of (await read()).filter((x) => x.enabled)) {
          try {
            this.set({ team: s.teamName, schedule: s.name }, CronSchedule.parse(s.cron, s.timezone).intervalSeconds(clock()));
          } catch {
            // A schedule stored with an expression this version cannot read shows no interval rather than a wrong one.
          }
        }
      },
    });
  }
}
