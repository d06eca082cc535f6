import { TeamRunQuotas, type Admission, type QuotaLimits, type QuotaUsage } from '@lemur/shared-run-admission';
import { HttpRejection } from '../http/api-error';
import type { RunQuotaRepository } from './run-quota.repository';

/** The quotas every team has unless an admin set its own. */
export type QuotaDefaults = QuotaLimits;

/** The quotas in force for one team, and what it uses of them. */
export type EffectiveQuotas = QuotaUsage;

/** A refused start as the API answers it: 429 with Retry-After. */
function admitted<T>(admission: Admission<T>): T {
  if (admission.admitted) return admission.value;
  const { message, retryAfterSeconds } = admission.refusal;
  throw new HttpRejection(429, 'QUOTA_EXCEEDED', message, undefined, { 'retry-after': String(retryAfterSeconds) });
}

/**
 * The team run quotas (TeamRunQuotas, shared with the eval service's scheduler) for API starts: a refused start is a
 * 429 with Retry-After.
 */
export class RunQuotas {
  private readonly quotas: TeamRunQuotas;

  constructor(repo: RunQuotaRepository, defaults: QuotaDefaults, lockTimeoutMs: number, now: () => number = Date.now) {
    this.quotas = new TeamRunQuotas(repo, defaults, lockTimeoutMs, now);
  }

  /**
   * Starts `runs` runs (one, or a suite's members) of `samples` samples in all via `start` if the team's quotas allow it;
   * otherwise a 429 with Retry-After. `timeoutMs` bounds the lock for starts slower than one run's (a whole suite).
   */
  async admit<T>(team: { id: string; name: string }, samples: number, start: () => Promise<T>, opts: { runs?: number; timeoutMs?: number } = {}): Promise<T> {
    return admitted(await this.quotas.admit(team, samples, start, opts));
  }

  /** Starts a re-scoring run via `start` if the team has a run slot free (no daily samples); otherwise a 429. */
  async admitRescore<T>(team: { id: string; name: string }, start: () => Promise<T>): Promise<T> {
    return admitted(await this.quotas.admitRescore(team, start));
  }

  /** The team's quotas and what it uses of them. */
  async usage(teamId: string): Promise<EffectiveQuotas> {
    return this.quotas.usage(teamId);
  }
}
