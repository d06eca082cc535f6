import { concurrentRunsRefusal, DAY_MS, dailySamplesRefusal, samplesOverQuotaRefusal, type QuotaLimits, type QuotaRefusal } from './run-quota-policy';
import type { QuotaReader, RunQuotaRepository } from './run-quota.repository';

/** The quotas in force for one team, and what it uses of them. */
export interface QuotaUsage extends QuotaLimits {
  /** Runs queued or running now, re-scoring runs included. */
  activeRuns: number;
  /** Samples of the runs started in the last 24 hours; re-scoring runs call no model and count none. */
  samplesLast24h: number;
}

/** A start the quotas let through (with what `start` returned), or the refusal; `start` ran only when admitted. */
export type Admission<T> = { admitted: true; value: T } | { admitted: false; refusal: QuotaRefusal };

/**
 * Per-team run quotas: runs queued or running at once, and samples started per rolling 24 hours. Checked under a
 * per-team database lock held until the run is created, so concurrent starts (any gateway replica, any scheduler)
 * cannot overshoot. A re-scoring run takes a run slot (its samples go through the workers, and the sandbox for code
 * benchmarks) but no daily samples.
 */
export class TeamRunQuotas {
  constructor(
    private readonly repo: Pick<RunQuotaRepository, 'withTeamLock'>,
    private readonly defaults: QuotaLimits,
    private readonly lockTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts `runs` runs (one, or a suite's or a schedule's) of `samples` samples in all via `start` if the team's quotas
   * allow it. `timeoutMs` bounds the lock for starts slower than one run's.
   */
  async admit<T>(
    team: { id: string; name: string },
    samples: number,
    start: () => Promise<T>,
    opts: { runs?: number; timeoutMs?: number } = {},
  ): Promise<Admission<T>> {
    return this.repo.withTeamLock(
      team.id,
      async (read): Promise<Admission<T>> => {
        const limits = await this.limits(read, team.id);
        const now = this.now();
        const refusal =
          concurrentRunsRefusal(team.name, limits, await read.activeRuns(team.id), opts.runs ?? 1) ??
          samplesOverQuotaRefusal(team.name, limits, samples) ??
          dailySamplesRefusal(team.name, limits, await read.recentRuns(team.id, new Date(now - DAY_MS)), samples, now);
        if (refusal) return { admitted: false, refusal };
        return { admitted: true, value: await start() };
      },
      opts.timeoutMs ?? this.lockTimeoutMs,
    );
  }

  /**
   * Starts a re-scoring run via `start` if the team has a run slot free. It calls no model, so the daily samples are
   * neither checked nor used (RunQuotaRepository leaves re-scoring runs out of them).
   */
  async admitRescore<T>(team: { id: string; name: string }, start: () => Promise<T>): Promise<Admission<T>> {
    return this.repo.withTeamLock(
      team.id,
      async (read): Promise<Admission<T>> => {
        const refusal = concurrentRunsRefusal(team.name, await this.limits(read, team.id), await read.activeRuns(team.id), 1);
        if (refusal) return { admitted: false, refusal };
        return { admitted: true, value: await start() };
      },
      this.lockTimeoutMs,
    );
  }

  /** The team's quotas and what it uses of them. */
  async usage(teamId: string): Promise<QuotaUsage> {
    return this.repo.withTeamLock(
      teamId,
      async (read) => {
        const limits = await this.limits(read, teamId);
        const recent = await read.recentRuns(teamId, new Date(this.now() - DAY_MS));
        return { ...limits, activeRuns: await read.activeRuns(teamId), samplesLast24h: recent.reduce((sum, r) => sum + r.samples, 0) };
      },
      this.lockTimeoutMs,
    );
  }

  private async limits(read: QuotaReader, teamId: string): Promise<QuotaLimits> {
    const overrides = await read.overrides(teamId);
    return {
      maxConcurrentRuns: overrides.maxConcurrentRuns ?? this.defaults.maxConcurrentRuns,
      maxSamplesPerDay: overrides.maxSamplesPerDay ?? this.defaults.maxSamplesPerDay,
    };
  }
}
