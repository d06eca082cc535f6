import { z } from 'zod';
import type { QuotaLimits } from './run-quota-policy';

/**
 * The environment variables of the default team quotas. Every service that admits runs (the gateway for API starts,
 * the eval service for scheduled ones) reads the same two, so a team meets one limit whichever way its runs start.
 */
export const teamQuotaEnvShape = {
  GATEWAY_TEAM_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(0).default(50),
  GATEWAY_TEAM_MAX_SAMPLES_PER_DAY: z.coerce.number().int().min(0).default(1_000_000),
};

/** The default quotas from a config parsed with teamQuotaEnvShape. */
export function teamQuotaDefaultsFrom(env: { GATEWAY_TEAM_MAX_CONCURRENT_RUNS: number; GATEWAY_TEAM_MAX_SAMPLES_PER_DAY: number }): QuotaLimits {
  return { maxConcurrentRuns: env.GATEWAY_TEAM_MAX_CONCURRENT_RUNS, maxSamplesPerDay: env.GATEWAY_TEAM_MAX_SAMPLES_PER_DAY };
}
