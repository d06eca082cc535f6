// The quota decision itself, with no I/O: given what a team uses, may it start more? Shared so an API start and a
// scheduled start are refused for the same reasons, with the same words.

export const DAY_MS = 24 * 60 * 60 * 1000;
/** When a run slot frees up is unknowable; this is how long a caller is told to wait before trying again. */
export const CONCURRENT_RETRY_SECONDS = 30;

/** The quotas in force for one team: its own, or the defaults where it has none. */
export interface QuotaLimits {
  maxConcurrentRuns: number;
  maxSamplesPerDay: number;
}

/** Which quota refused a start: a bounded set, fit for a metric label. */
export type QuotaLimit = 'concurrent_runs' | 'daily_samples';

/** Why a start was refused, and when trying again may succeed. */
export interface QuotaRefusal {
  limit: QuotaLimit;
  /** Says what is over which quota and what to do next; the gateway answers it, a schedule stores it. */
  message: string;
  /** At least 1; a day when waiting cannot help (the start is bigger than the quota itself). */
  retryAfterSeconds: number;
}

function refusal(limit: QuotaLimit, message: string, retryAfterSeconds: number): QuotaRefusal {
  return { limit, message, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) };
}

/** Refuses starting `runs` more runs when `active` runs are queued or running; null when they fit. */
export function concurrentRunsRefusal(teamName: string, limits: QuotaLimits, active: number, runs: number): QuotaRefusal | null {
  if (runs > limits.maxConcurrentRuns) {
    return refusal(
      'concurrent_runs',
      `this starts up to ${runs} runs at once, more than team ${teamName}'s quota of ${limits.maxConcurrentRuns} runs queued or running; an admin can raise it (PUT /v1/quotas)`,
      DAY_MS / 1000,
    );
  }
  if (active + runs <= limits.maxConcurrentRuns) return null;
  return refusal(
    'concurrent_runs',
    `team ${teamName} has ${active} run(s) queued or running, its quota is ${limits.maxConcurrentRuns}${runs > 1 ? ` and this starts up to ${runs}` : ''}; wait for one to finish or cancel one`,
    CONCURRENT_RETRY_SECONDS,
  );
}

/** The cap on a single start's samples: one larger than the daily quota could never start, however long it waited. */
export function samplesOverQuotaRefusal(teamName: string, limits: QuotaLimits, samples: number): QuotaRefusal | null {
  if (samples <= limits.maxSamplesPerDay) return null;
  return refusal(
    'daily_samples',
    `this run needs ${samples} samples, more than team ${teamName}'s daily quota of ${limits.maxSamplesPerDay}; lower limit or samples`,
    DAY_MS / 1000,
  );
}

/**
 * Refuses `samples` more samples when the starts of the last 24 hours (`recent`, oldest first) used too many of the
 * daily quota; null when they fit. Retry-After is when enough of the oldest starts leave the rolling window.
 */
export function dailySamplesRefusal(
  teamName: string,
  limits: QuotaLimits,
  recent: readonly { createdAt: Date; samples: number }[],
  samples: number,
  now: number,
): QuotaRefusal | null {
  const used = recent.reduce((sum, r) => sum + r.samples, 0);
  if (used + samples <= limits.maxSamplesPerDay) return null;
  let freed = 0;
  let retryAt = now + DAY_MS;
  for (const run of recent) {
    freed += run.samples;
    if (used - freed + samples <= limits.maxSamplesPerDay) {
      retryAt = run.createdAt.getTime() + DAY_MS;
      break;
    }
  }
  return refusal(
    'daily_samples',
    `team ${teamName} started ${used} samples in the last 24 hours; this run's ${samples} would pass its daily quota of ${limits.maxSamplesPerDay}`,
    (retryAt - now) / 1000,
  );
}
