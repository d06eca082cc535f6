import type { RunConfigData } from '../runs/run.types';

/** A stored schedule of regression runs. */
export interface ScheduleRecord {
  id: string;
  teamId: string;
  name: string;
  cron: string;
  timezone: string;
  modelName: string;
  benchmarks: string[];
  /** Run settings for every run the schedule creates (limit, samples per item, sampling...). */
  config: ScheduleRunConfig;
  /** A run id, or `previous` for the schedule's previous successful run of the same benchmark. */
  baseline: string;
  enabled: boolean;
  webhookUrl: string | null;
  nextRunAt: Date;
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
  /** Why the scheduler holds the runs of the due tick back (a team quota) until nextRunAt; null once it starts them. */
  lastSkipReason: string | null;
  createdAt: Date;
}

export type ScheduleRunConfig = RunConfigData;

/** A schedule's webhook signing secret: stored with it, read only to sign deliveries, never shown after creation. */
export interface ScheduleSecret {
  webhookSecret: string | null;
}

/** A schedule to create, validated: a stored schedule before it has an id, runs or a creation time. */
export type NewSchedule = Omit<ScheduleRecord, 'id' | 'lastRunAt' | 'lastSuccessAt' | 'lastSkipReason' | 'createdAt'> & ScheduleSecret;

/** A schedule with its team's name and webhook secret, as the scheduler, the regression check and the metrics need it. */
export interface DueSchedule extends ScheduleRecord, ScheduleSecret {
  teamName: string;
}
