// The only place of the eval service that touches the schedule table (and the runs a schedule made).
import { Prisma, type PrismaClient, type Schedule } from '@lemur/shared-database';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { RegressionCheckData } from '../runs/run.types';
import type { DueSchedule, NewSchedule, ScheduleRecord, ScheduleRunConfig } from './schedule.types';

// Never the webhook secret: a ScheduleRecord is what the API shows (toScheduleMessage); only DueSchedule carries it.
function toRecord(row: Schedule): ScheduleRecord {
  return {
    id: row.id,
    teamId: row.teamId,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    modelName: row.modelName,
    benchmarks: row.benchmarks,
    config: row.config as unknown as ScheduleRunConfig,
    baseline: row.baseline,
    enabled: row.enabled,
    webhookUrl: row.webhookUrl,
    nextRunAt: row.nextRunAt,
    lastRunAt: row.lastRunAt,
    lastSuccessAt: row.lastSuccessAt,
    lastSkipReason: row.lastSkipReason,
    createdAt: row.createdAt,
  };
}

export class ScheduleRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(schedule: NewSchedule): Promise<ScheduleRecord> {
    try {
      const row = await this.prisma.schedule.create({
        data: { ...schedule, config: schedule.config as unknown as Prisma.InputJsonValue },
      });
      return toRecord(row);
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new PlatformError(PlatformErrorCode.SCHEDULE_EXISTS, `a schedule named "${schedule.name}" exists; delete it first or pick another name`, {
          field: 'name',
          cause: err,
        });
      }
      throw err;
    }
  }

  async listForTeam(teamId: string): Promise<ScheduleRecord[]> {
    const rows = await this.prisma.schedule.findMany({ where: { teamId }, orderBy: { name: 'asc' } });
    return rows.map(toRecord);
  }

  async findForTeam(teamId: string, id: string): Promise<ScheduleRecord | null> {
    const row = await this.prisma.schedule.findFirst({ where: { id, teamId } });
    return row ? toRecord(row) : null;
  }

  async findById(id: string): Promise<DueSchedule | null> {
    const row = await this.prisma.schedule.findUnique({ where: { id }, include: { team: { select: { name: true } } } });
    return row ? { ...toRecord(row), teamName: row.team.name, webhookSecret: row.webhookSecret } : null;
  }

  /** Deletes a team's schedule; false when there is none with this id (or it is another team's). */
  async deleteForTeam(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.schedule.deleteMany({ where: { id, teamId } });
    return count === 1;
  }

  /** Enabled schedules whose tick has come. */
  async due(now: Date): Promise<DueSchedule[]> {
    const rows = await this.prisma.schedule.findMany({
      where: { enabled: true, nextRunAt: { lte: now } },
      include: { team: { select: { name: true } } },
      orderBy: { nextRunAt: 'asc' },
    });
    return rows.map((row) => ({ ...toRecord(row), teamName: row.team.name, webhookSecret: row.webhookSecret }));
  }

  /** Every schedule with its team, for the per-schedule gauges. */
  async listAll(): Promise<DueSchedule[]> {
    const rows = await this.prisma.schedule.findMany({ include: { team: { select: { name: true } } } });
    return rows.map((row) => ({ ...toRecord(row), teamName: row.team.name, webhookSecret: row.webhookSecret }));
  }

  /**
   * Claims the tick `tick` of a schedule by moving its next tick on, in one conditional UPDATE: of several schedulers
   * that saw the same due tick, exactly one changes the row (the others match nothing) and creates the runs.
   */
  async claimTick(id: string, tick: Date, next: Date, now: Date): Promise<boolean> {
    const { count } = await this.prisma.schedule.updateMany({
      where: { id, enabled: true, nextRunAt: tick },
      data: { nextRunAt: next, lastRunAt: now, lastSkipReason: null },
    });
    return count === 1;
  }

  /**
   * Claims the tick `tick` like claimTick, but to hold its runs back: the tick stays pending until `retryAt`, with
   * `reason` on the schedule for its readers. False when another scheduler claimed it first.
   */
  async deferTick(id: string, tick: Date, retryAt: Date, reason: string): Promise<boolean> {
    const { count } = await this.prisma.schedule.updateMany({
      where: { id, enabled: true, nextRunAt: tick },
      data: { nextRunAt: retryAt, lastSkipReason: reason },
    });
    return count === 1;
  }

  async markSuccess(id: string, at: Date): Promise<void> {
    // Never backwards: runs of one schedule may finish out of order.
    await this.prisma.schedule.updateMany({ where: { id, OR: [{ lastSuccessAt: null }, { lastSuccessAt: { lt: at } }] }, data: { lastSuccessAt: at } });
  }

  /** The schedule's latest succeeded run of this benchmark created before `before` (the "previous" baseline). */
  async previousSucceededRun(scheduleId: string, benchmark: string, before: Date, excludeRunId: string): Promise<string | null> {
    const row = await this.prisma.run.findFirst({
      where: { scheduleId, benchmark, status: 'SUCCEEDED', createdAt: { lte: before }, id: { not: excludeRunId } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true },
    });
    return row?.id ?? null;
  }

  async recordRegression(runId: string, check: RegressionCheckData): Promise<void> {
    await this.prisma.run.update({ where: { id: runId }, data: { regression: check as unknown as Prisma.InputJsonValue } });
  }
}
