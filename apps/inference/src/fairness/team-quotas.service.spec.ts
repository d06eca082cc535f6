import { Writable } from 'node:stream';
import type { TeamLimits } from '@lemur/fairness';
import { createLogger } from '@lemur/shared-logging';
import { describe, expect, it } from 'vitest';
import { TeamQuotasService } from './team-quotas.service';

function quotas(reads: (() => Map<string, number>)[]) {
  const applied: Record<string, Partial<TeamLimits>>[] = [];
  const log: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      log.push(chunk.toString());
      done();
    },
  });
  let call = 0;
  const service = new TeamQuotasService(
    { tokensPerMinuteOverrides: async () => reads[Math.min(call++, reads.length - 1)]!() },
    { setTeamOverrides: (overrides) => void applied.push(overrides) },
    { refreshEveryMs: 60_000 },
    createLogger('test', 'info', destination),
  );
  return { service, applied, log };
}

const down = () => {
  throw new Error('connection refused');
};

describe('TeamQuotasService', () => {
  it("hands fair admission every team's tokens per minute, replacing what it read before", async () => {
    const { service, applied } = quotas([() => new Map([['a', 600], ['b', 0]]), () => new Map([['b', 1_200]])]);
    await service.refresh();
    await service.refresh();
    expect(applied).toEqual([{ a: { tokensPerMinute: 600 }, b: { tokensPerMinute: 0 } }, { b: { tokensPerMinute: 1_200 } }]);
  });

  it('keeps the quotas last read while reads fail, warning once, and says when they work again', async () => {
    const { service, applied, log } = quotas([() => new Map([['a', 600]]), down, down, () => new Map()]);
    for (let i = 0; i < 4; i++) await service.refresh();
    expect(applied).toEqual([{ a: { tokensPerMinute: 600 } }, {}]);
    expect(log.filter((l) => l.includes('reading the team quotas failed'))).toHaveLength(1);
    expect(log.filter((l) => l.includes('team quotas read again'))).toHaveLength(1);
  });
});
