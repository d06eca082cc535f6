import { describe, expect, it } from 'vitest';
import type { QuotaReader } from './run-quota.repository';
import { TeamRunQuotas } from './team-run-quotas';

function quotas(active: number) {
  const read: QuotaReader = {
    overrides: async () => ({ maxConcurrentRuns: null, maxSamplesPerDay: null }),
    activeRuns: async () => active,
    recentRuns: async () => [],
  };
  return new TeamRunQuotas({ withTeamLock: async (_team, work) => work(read) }, { maxConcurrentRuns: 2, maxSamplesPerDay: 1_000 }, 1_000);
}

const team = { id: 't', name: 'research' };

describe('TeamRunQuotas', () => {
  it('returns what start returned when admitted', async () => {
    expect(await quotas(0).admit(team, 10, async () => 'run-1', { runs: 2 })).toEqual({ admitted: true, value: 'run-1' });
  });

  it('returns the refusal, naming the quota, without calling start', async () => {
    let started = false;
    const admission = await quotas(1).admit(team, 10, async () => (started = true), { runs: 2 });
    expect(started).toBe(false);
    expect(admission).toMatchObject({ admitted: false, refusal: { limit: 'concurrent_runs', retryAfterSeconds: 30 } });
  });
});
