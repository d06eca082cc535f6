import type { Logger } from '@lemur/shared-logging';
import { plannedSamples, type AuditEntryRepository, type BenchmarkSize, type TeamRunQuotas } from '@lemur/shared-run-admission';
import type { StartRunCommand } from '../runs/start-run/start-run.command';
import type { RunRecord } from '../runs/run.types';
import { CronSchedule } from './cron-schedule';
import type { ScheduleAdmissionMetrics } from './schedule-admission.metrics';
import type { ScheduleRepository } from './schedule.repository';
import type { DueSchedule } from './schedule.types';

/** How long a tick may hold its team's quota lock per run it starts (StartRunUseCase may load a dataset first). */
const LOCK_MS_PER_RUN = 120_000;

/** Starts runs (the StartRunUseCase). */
export interface RunStarter {
  execute(cmd: StartRunCommand): Promise<RunRecord>;
}

/** What lets a tick start runs as an API start would: the team's quotas, the audit log, and the refusal counter. */
export interface TickAdmission {
  quotas: Pick<TeamRunQuotas, 'admit'>;
  audit: Pick<AuditEntryRepository, 'record'>;
  /** The catalog's benchmarks with their item counts: a run is priced in samples as the gateway prices it. */
  benchmarks: readonly BenchmarkSize[];
  metrics: Pick<ScheduleAdmissionMetrics, 'refused'>;
}

/**
 * Creates the runs of due schedules. Every eval API replica runs one; a tick is claimed with a conditional UPDATE of
 * the schedule's next_run_at (ScheduleRepository.claimTick), so exactly one replica creates its runs. Ticks missed
 * while no scheduler ran collapse into one run (the next tick is computed from now, not from the missed one).
 * A tick's runs meet the team's quotas like an API start (checked under the same per-team lock) and are audited as
 * `run.start` by `schedule:<name>`; a tick a quota refuses stays pending, and is tried again after the refusal's
 * Retry-After (or at the next cron tick, if sooner).
 */
export class RunScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly runs: RunStarter,
    private readonly admission: TickAdmission,
    private readonly logger: Logger,
    private readonly opts: { pollMs: number },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  start(): void {
    this.stopped = false;
    const loop = () => {
      this.running = this.tick()
        .catch((err: unknown) => this.logger.error({ err }, 'scheduler tick failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollMs);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over the due schedules; returns the runs this scheduler created. */
  async tick(): Promise<RunRecord[]> {
    const now = this.clock();
    const created: RunRecord[] = [];
    for (const schedule of await this.schedules.due(now)) {
      let next: Date;
      try {
        next = CronSchedule.parse(schedule.cron, schedule.timezone).nextAfter(now);
      } catch (err) {
        this.logger.error({ err, scheduleId: schedule.id }, 'schedule has an invalid cron expression; skipped');
        continue;
      }
      try {
        created.push(...(await this.startTick(schedule, next, now)));
      } catch (err) {
        // One team's trouble (its lock timed out, the database blinked) must not hold back the other schedules; the
        // tick is still due unless it was claimed, so the next pass tries it again.
        this.logger.error({ err, scheduleId: schedule.id }, 'scheduled tick could not be started');
      }
    }
    return created;
  }

  /**
   * Starts the due tick's runs if the team's quotas allow all of them. The tick is claimed inside the team's lock,
   * after the check, so the runs are counted before the lock passes on to the team's next start; a scheduler that
   * loses the claim starts nothing.
   */
  private async startTick(schedule: DueSchedule, next: Date, now: Date): Promise<RunRecord[]> {
    const priced = schedule.benchmarks.map((benchmark) => ({
      benchmark,
      samples: plannedSamples(this.admission.benchmarks, benchmark, schedule.config.limit, schedule.config.samplesPerItem || 1),
    }));
    const admission = await this.admission.quotas.admit(
      { id: schedule.teamId, name: schedule.teamName },
      priced.reduce((sum, p) => sum + p.samples, 0),
      async () => ((await this.schedules.claimTick(schedule.id, schedule.nextRunAt, next, now)) ? this.startRuns(schedule, priced) : []),
      { runs: priced.length, timeoutMs: LOCK_MS_PER_RUN * priced.length },
    );
    if (admission.admitted) return admission.value;
    const { refusal } = admission;
    const retryAt = new Date(Math.min(now.getTime() + refusal.retryAfterSeconds * 1000, next.getTime()));
    // Deferring claims the tick too: of several schedulers refused at once, one logs and counts it.
    if (await this.schedules.deferTick(schedule.id, schedule.nextRunAt, retryAt, refusal.message)) {
      this.admission.metrics.refused(refusal.limit);
      this.logger.warn(
        { scheduleId: schedule.id, schedule: schedule.name, team: schedule.teamName, reason: refusal.limit, detail: refusal.message, retryAt: retryAt.toISOString() },
        'scheduled runs held back by a team quota',
      );
    }
    return [];
  }

  private async startRuns(schedule: DueSchedule, priced: { benchmark: string; samples: number }[]): Promise<RunRecord[]> {
    const created: RunRecord[] = [];
    for (const { benchmark, samples } of priced) {
      let run: RunRecord;
      try {
        run = await this.runs.execute({
          team: schedule.teamName,
          model: schedule.modelName,
          benchmark,
          limit: schedule.config.limit,
          samplesPerItem: schedule.config.samplesPerItem,
          concurrency: schedule.config.concurrency,
          chat: schedule.config.chat,
          ...(schedule.config.temperature !== undefined ? { temperature: schedule.config.temperature } : {}),
          ...(schedule.config.maxTokens !== undefined ? { maxTokens: schedule.config.maxTokens } : {}),
          ...(schedule.config.topP !== undefined ? { topP: schedule.config.topP } : {}),
          ...(schedule.config.seed !== undefined ? { seed: schedule.config.seed } : {}),
          ...(schedule.config.feedbackModel !== undefined ? { feedbackModel: schedule.config.feedbackModel } : {}),
          scheduleId: schedule.id,
        });
      } catch (err) {
        this.logger.error({ err, scheduleId: schedule.id, benchmark }, 'scheduled run could not be created');
        continue;
      }
      created.push(run);
      this.logger.info({ scheduleId: schedule.id, runId: run.id, benchmark, tick: schedule.nextRunAt.toISOString() }, 'scheduled run created');
      await this.audit(schedule, run, benchmark, samples);
    }
    return created;
  }

  /** The `run.start` entry an API start gets, with the schedule as the actor. */
  private async audit(schedule: DueSchedule, run: RunRecord, benchmark: string, samples: number): Promise<void> {
    try {
      await this.admission.audit.record({
        teamId: run.teamId,
        actor: `schedule:${schedule.name}`,
        action: 'run.start',
        target: run.id,
        detail: { model: schedule.modelName, benchmark, samples, scheduleId: schedule.id },
      });
    } catch (err) {
      // The run is stored and queued; failing the tick would not undo it, only hide the other benchmarks' runs.
      this.logger.error({ err, scheduleId: schedule.id, runId: run.id }, 'audit entry of a scheduled run could not be written');
    }
  }
}
