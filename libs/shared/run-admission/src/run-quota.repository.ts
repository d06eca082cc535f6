// Reads what a team has in flight and started recently, under a per-team advisory lock: the run-quota check's only
// access to the database, shared by the gateway (API starts) and the eval service's scheduler (scheduled starts).
import type { PrismaClient } from '@lemur/shared-database';

/** A team's quota overrides (null = the default, GATEWAY_TEAM_MAX_*). */
export interface TeamQuotaOverrides {
  maxConcurrentRuns: number | null;
  maxSamplesPerDay: number | null;
}

/**
 * Every quota override an admin sets for a team (PUT /v1/quotas): the run quotas, and the inference service's tokens
 * per minute (null = that service's own limit for the team), which it reads from the same row.
 */
export interface TeamQuotaSettings extends TeamQuotaOverrides {
  tokensPerMinute: number | null;
}

const SETTINGS = { maxConcurrentRuns: true, maxSamplesPerDay: true, tokensPerMinute: true } as const;

/** Inside the per-team lock: what the quota check reads. */
export interface QuotaReader {
  overrides(teamId: string): Promise<TeamQuotaOverrides>;
  activeRuns(teamId: string): Promise<number>;
  /**
   * What started model calls since `since`, oldest first, with its sample count: the runs created (re-scoring runs are
   * left out: they score stored outputs again and call no model) and the retries of errored samples, as the audit log
   * records them (`run.retry-errors`, detail.retried).
   */
  recentRuns(teamId: string, since: Date): Promise<{ createdAt: Date; samples: number }[]>;
}

/** Samples a `run.retry-errors` audit entry put back to pending (0 when its detail does not say). */
function retriedSamples(detail: unknown): number {
  const retried = typeof detail === 'object' && detail !== null ? (detail as { retried?: unknown }).retried : undefined;
  return typeof retried === 'number' && Number.isSafeInteger(retried) && retried > 0 ? retried : 0;
}

function reader(db: Pick<PrismaClient, 'team' | 'run' | 'auditLog'>): QuotaReader {
  return {
    async overrides(teamId) {
      const team = await db.team.findUnique({ where: { id: teamId }, select: { maxConcurrentRuns: true, maxSamplesPerDay: true } });
      return { maxConcurrentRuns: team?.maxConcurrentRuns ?? null, maxSamplesPerDay: team?.maxSamplesPerDay ?? null };
    },
    activeRuns: (teamId) => db.run.count({ where: { teamId, status: { in: ['QUEUED', 'RUNNING'] } } }),
    async recentRuns(teamId, since) {
      const rows = await db.run.findMany({
        where: { teamId, createdAt: { gte: since }, sourceRunId: null },
        select: { createdAt: true, totalSamples: true },
        orderBy: { createdAt: 'asc' },
      });
      const retries = await db.auditLog.findMany({
        where: { teamId, action: 'run.retry-errors', createdAt: { gte: since } },
        select: { createdAt: true, detail: true },
      });
      return [
        ...rows.map((r) => ({ createdAt: r.createdAt, samples: r.totalSamples })),
        ...retries.map((r) => ({ createdAt: r.createdAt, samples: retriedSamples(r.detail) })),
      ].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },
  };
}

/** The team's quota overrides, and the per-team lock every run start (API or schedule) takes to check them. */
export class RunQuotaRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Runs `work` holding a transaction-scoped advisory lock on the team, so two starts of one team (on any gateway
   * replica, or a scheduler) check the quota one after the other and the second sees the first's run.
   */
  async withTeamLock<T>(teamId: string, work: (read: QuotaReader) => Promise<T>, timeoutMs: number): Promise<T> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`lemur:run-quota:${teamId}`}, 0))`;
        // Reads go through the main client: the run the eval service just committed is visible to it.
        return work(reader(this.prisma));
      },
      { timeout: timeoutMs, maxWait: 10_000 },
    );
  }

  async overrides(teamId: string): Promise<TeamQuotaOverrides> {
    return reader(this.prisma).overrides(teamId);
  }

  /** The team's overrides, run quotas and tokens per minute alike (a team that does not exist has none). */
  async settings(teamId: string): Promise<TeamQuotaSettings> {
    const team = await this.prisma.team.findUnique({ where: { id: teamId }, select: SETTINGS });
    return {
      maxConcurrentRuns: team?.maxConcurrentRuns ?? null,
      maxSamplesPerDay: team?.maxSamplesPerDay ?? null,
      tokensPerMinute: team?.tokensPerMinute ?? null,
    };
  }

  /** Sets the given overrides in one update (null clears one); the ones left out keep their value. */
  async setOverrides(teamId: string, overrides: Partial<TeamQuotaSettings>): Promise<TeamQuotaSettings> {
    return this.prisma.team.update({ where: { id: teamId }, data: overrides, select: SETTINGS });
  }
}
