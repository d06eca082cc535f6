import { HttpRejection } from '../http/api-error';
import type { QuotaReader, RunQuotaRepository } from './run-quota.repository';

const DAY_MS = 24 * 60 * 60 * 1000;
/** When a run slot frees up is unknowable; this is how long clients are told to wait before trying again. */
const CONCURRENT_RETRY_SECONDS = 30;

/** The quotas every team has unless an admin set its own. */
export interface QuotaDefaults {
  maxConcurrentRuns: number;
  maxSamplesPerDay: number;
}

/** The quotas in force for one team. */
export interface EffectiveQuotas extends QuotaDefaults {
  /** Runs queued or running now, re-scoring runs included. */
  activeRuns: number;
  /** Samples of the runs started in the last 24 hours; re-scoring runs call no model and count none. */
  samplesLast24h: number;
}

function exceeded(message: string, retryAfterSeconds: number): HttpRejection {
  return new HttpRejection(429, 'QUOTA_EXCEEDED', message, undefined, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
}

/**
 * Per-team run quotas: runs queued or running at once, and samples started per rolling 24 hours. Checked under a
 * per-team database lock held until the run is created, so concurrent starts cannot overshoot. A re-scoring run takes
 * a run slot (its samples go through the workers, and the sandbox for code benchmarks) but no daily samples.
 */
export class RunQuotas {
  constructor(
    private readonly repo: RunQuotaRepository,
    private readonly defaults: QuotaDefaults,
    private readonly lockTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts `runs` runs (one, or a suite's members) of `samples` samples in all via `start` if the team's quotas allow it;
   * otherwise a 429 with Retry-After. `timeoutMs` bounds the lock for starts slower than one run's (a whole suite).
   */
  async admit<T>(
    team: { id: string; name: string },
    samples: number,
    start: () => Promise<T>,
    opts: { runs?: number; timeoutMs?: number } = {},
  ): Promise<T> {
    return this.repo.withTeamLock(
      team.id,
      async (read) => {
        const limits = await this.limits(read, team.id);
        await this.checkConcurrent(team.name, read, team.id, limits, opts.runs ?? 1);
        await this.checkDaily(team.name, read, team.id, limits, samples);
        return start();
      },
      opts.timeoutMs ?? this.lockTimeoutMs,
    );
  }

  /**
   * Starts a re-scoring run via `start` if the team has a run slot free; otherwise a 429 with Retry-After. It calls no
   * model, so the daily samples are neither checked nor used (RunQuotaRepository leaves re-scoring runs out of them).
   */
  async admitRescore<T>(team: { id: string; name: string }, start: () => Promise<T>): Promise<T> {
    return this.repo.withTeamLock(
      team.id,
      async (read) => {
        await this.checkConcurrent(team.name, read, team.id, await this.limits(read, team.id), 1);
        return start();
      },
      this.lockTimeoutMs,
    );
  }

  /** The team's quotas and what it uses of them. */
  async usage(teamId: string): Promise<EffectiveQuotas> {
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

  private async limits(read: QuotaReader, teamId: string): Promise<QuotaDefaults> {
    const overrides = await read.overrides(teamId);
    return {
      maxConcurrentRuns: overrides.maxConcurrentRuns ?? this.defaults.maxConcurrentRuns,
      maxSamplesPerDay: overrides.maxSamplesPerDay ?? this.defaults.maxSamplesPerDay,
    };
  }

  private async checkConcurrent(teamName: string, read: QuotaReader, teamId: string, limits: QuotaDefaults, runs: number): Promise<void> {
    if (runs > limits.maxConcurrentRuns) {
      throw exceeded(
        `this starts up to ${runs} runs at once, more than team ${teamName}'s quota of ${limits.maxConcurrentRuns} runs queued or running; an admin can raise it (PUT /v1/quotas)`,
        DAY_MS / 1000,
      );
    }
    const active = await read.activeRuns(teamId);
    if (active + runs > limits.maxConcurrentRuns) {
      throw exceeded(
        `team ${teamName} has ${active} run(s) queued or running, its quota is ${limits.maxConcurrentRuns}${runs > 1 ? ` and this starts up to ${runs}` : ''}; wait for one to finish or cancel one`,
        CONCURRENT_RETRY_SECONDS,
      );
    }
  }

  private async checkDaily(teamName: string, read: QuotaReader, teamId: string, limits: QuotaDefaults, samples: number): Promise<void> {
    if (samples > limits.maxSamplesPerDay) {
      throw exceeded(
        `this run needs ${samples} samples, more than team ${teamName}'s daily quota of ${limits.maxSamplesPerDay}; lower limit or samples`,
        DAY_MS / 1000,
      );
    }
    const now = this.now();
    const recent = await read.recentRuns(teamId, new Date(now - DAY_MS));
    const used = recent.reduce((sum, r) => sum + r.samples, 0);
    if (used + samples <= limits.maxSamplesPerDay) return;
    // The rolling window frees samples as old runs age out of it: wait until enough have.
    let freed = 0;
    let retryAt = now + DAY_MS;
    for (const run of recent) {
      freed += run.samples;
      if (used - freed + samples <= limits.maxSamplesPerDay) {
        retryAt = run.createdAt.getTime() + DAY_MS;
        break;
      }
    }
    throw exceeded(
      `team ${teamName} started ${used} samples in the last 24 hours; this run's ${samples} would pass its daily quota of ${limits.maxSamplesPerDay}`,
      (retryAt - now) / 1000,
    );
  }
}
