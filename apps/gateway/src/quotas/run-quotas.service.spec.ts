import { describe, expect, it } from 'vitest';
import { HttpRejection } from '../http/api-error';
import type { QuotaReader, RunQuotaRepository, TeamQuotaOverrides } from './run-quota.repository';
import { RunQuotas } from './run-quotas.service';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 3, 12);

function quotas(state: { active: number; recent: { createdAt: Date; samples: number }[]; overrides?: TeamQuotaOverrides }) {
  const read: QuotaReader = {
    overrides: async () => state.overrides ?? { maxConcurrentRuns: null, maxSamplesPerDay: null },
    activeRuns: async () => state.active,
    recentRuns: async (_team, since) => state.recent.filter((r) => r.createdAt >= since),
  };
  const repo = { withTeamLock: async <T>(_team: string, work: (r: QuotaReader) => Promise<T>) => work(read) } as unknown as RunQuotaRepository;
  return new RunQuotas(repo, { maxConcurrentRuns: 2, maxSamplesPerDay: 1_000 }, 1_000, () => NOW);
}

async function rejected(promise: Promise<unknown>): Promise<HttpRejection> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpRejection);
  return err as HttpRejection;
}

const team = { id: 't', name: 'research' };

describe('RunQuotas', () => {
  it('starts a run within the quotas', async () => {
    const q = quotas({ active: 1, recent: [{ createdAt: new Date(NOW - HOUR), samples: 500 }] });
    expect(await q.admit(team, 500, async () => 'started')).toBe('started');
  });

  it('answers 429 with Retry-After when too many runs are in flight, without starting one', async () => {
    let started = false;
    const err = await rejected(quotas({ active: 2, recent: [] }).admit(team, 1, async () => (started = true)));
    expect(started).toBe(false);
    expect(err).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED', headers: { 'retry-after': '30' } });
    expect(err.message).toMatch(/2 run\(s\) queued or running, its quota is 2/);
  });

  it('counts every run a suite starts against the concurrent-run quota', async () => {
    const q = (active: number) => quotas({ active, recent: [], overrides: { maxConcurrentRuns: 20, maxSamplesPerDay: null } });
    expect(await q(7).admit(team, 10, async () => 'suite', { runs: 13 })).toBe('suite');
    const busy = await rejected(q(8).admit(team, 10, async () => 'no', { runs: 13 }));
    expect(busy).toMatchObject({ status: 429, headers: { 'retry-after': '30' } });
    expect(busy.message).toMatch(/8 run\(s\) queued or running, its quota is 20 and this starts up to 13/);
    // A suite larger than the quota itself could never start: say so, and who can change it.
    const never = await rejected(q(0).admit(team, 10, async () => 'no', { runs: 27 }));
    expect(never.message).toMatch(/starts up to 27 runs at once, more than team research's quota of 20 .* an admin can raise it/);
  });

  it('uses the team override over the default', async () => {
    const q = quotas({ active: 2, recent: [], overrides: { maxConcurrentRuns: 5, maxSamplesPerDay: null } });
    expect(await q.admit(team, 1, async () => 'ok')).toBe('ok');
  });

  it('says when the daily samples free up: when enough of the oldest runs leave the 24-hour window', async () => {
    const recent = [
      { createdAt: new Date(NOW - 20 * HOUR), samples: 300 },
      { createdAt: new Date(NOW - 10 * HOUR), samples: 300 },
      { createdAt: new Date(NOW - 1 * HOUR), samples: 300 },
    ];
    // 900 used; 400 more needs 300 freed (the oldest, 4 hours from now).
    const err = await rejected(quotas({ active: 0, recent }).admit(team, 400, async () => 'no'));
    expect(err.headers['retry-after']).toBe(String(4 * 3600));
    expect(err.message).toMatch(/started 900 samples in the last 24 hours/);
    // 700 more needs 600 freed: the second run leaves in 14 hours.
    expect((await rejected(quotas({ active: 0, recent }).admit(team, 700, async () => 'no'))).headers['retry-after']).toBe(String(14 * 3600));
  });

  it('refuses a run bigger than the whole daily quota, saying so', async () => {
    const err = await rejected(quotas({ active: 0, recent: [] }).admit(team, 1_001, async () => 'no'));
    expect(err.message).toMatch(/needs 1001 samples, more than team research's daily quota of 1000/);
  });

  it('admits a re-scoring run with the daily samples used up, but not past the concurrent-run quota', async () => {
    const spent = [{ createdAt: new Date(NOW - HOUR), samples: 1_000 }];
    expect((await rejected(quotas({ active: 0, recent: spent }).admit(team, 1, async () => 'no'))).message).toMatch(/daily quota of 1000/);
    expect(await quotas({ active: 1, recent: spent }).admitRescore(team, async () => 'rescoring')).toBe('rescoring');
    let started = false;
    const busy = await rejected(quotas({ active: 2, recent: [] }).admitRescore(team, async () => (started = true)));
    expect(started).toBe(false);
    expect(busy).toMatchObject({ status: 429, headers: { 'retry-after': '30' } });
    expect(busy.message).toMatch(/2 run\(s\) queued or running, its quota is 2; wait for one to finish/);
  });

  it('reports usage', async () => {
    const usage = await quotas({ active: 1, recent: [{ createdAt: new Date(NOW - HOUR), samples: 42 }] }).usage('t');
    expect(usage).toEqual({ maxConcurrentRuns: 2, maxSamplesPerDay: 1_000, activeRuns: 1, samplesLast24h: 42 });
  });
});
