import type { Logger } from '@lemur/shared-logging';
import type { StartRunCommand } from '../runs/start-run/start-run.command';
import type { RunRecord } from '../runs/run.types';
import { CronSchedule } from './cron-schedule';
import type { ScheduleRepository } from './schedule.repository';

/** Starts runs (the StartRunUseCase). */
export interface RunStarter {
  execute(cmd: StartRunCommand): Promise<RunRecord>;
}

/**
 * Creates the runs of due schedules. Every eval API replica runs one; a tick is claimed with a conditional UPDATE of
 * the schedule's next_run_at (ScheduleRepository.claimTick), so exactly one replica creates its runs. Ticks missed
 * while no scheduler ran collapse into one run (the next tick is computed from now, not from the missed one).
 */
export class RunScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly runs: RunStarter,
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
      if (!(await this.schedules.claimTick(schedule.id, schedule.nextRunAt, next, now))) continue;
      for (const benchmark of schedule.benchmarks) {
        try {
          const run = await this.runs.execute({
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
          created.push(run);
          this.logger.info({ scheduleId: schedule.id, runId: run.id, benchmark, tick: schedule.nextRunAt.toISOString() }, 'scheduled run created');
        } catch (err) {
          this.logger.error({ err, scheduleId: schedule.id, benchmark }, 'scheduled run could not be created');
        }
      }
    }
    return created;
  }
}
