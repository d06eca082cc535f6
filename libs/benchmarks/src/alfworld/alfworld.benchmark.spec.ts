import { describe, expect, it } from 'vitest';
import { benchmarkRef } from '../benchmark';
import { getBenchmark } from '../registry';
import { alfworldBenchmark } from './alfworld.benchmark';

describe('mint-alfworld@1.0.0 in the registry', () => {
  it('registers mint-alfworld as a MINT agent benchmark whose tools act on an environment server', () => {
    const b = getBenchmark('mint-alfworld');
    expect(benchmarkRef(b)).toBe('mint-alfworld@1.0.0');
    expect(b.agent).toMatchObject({ protocol: 'mint', scoringRules: 'published', budget: { maxSteps: 5, maxProposeSolution: 2 }, cellTimeoutMs: 30_000, tools: [] });
    expect(b.agent?.environmentServer?.tools.map((t) => t.name)).toEqual(['put', 'goto', 'take_from', 'open_receptacle', 'toggle', 'close_receptacle', 'clean', 'heat', 'cool', 'use', 'look']);
    expect(b.agent?.environmentServer?.taskId({ id: 'mint-alfworld/x/y', gamefile: 'x/y', taskType: 'put' } as never)).toBe('x/y');
    expect(b.dataset).toMatchObject({ name: 'mint-bench/data/processed/alfworld/gamefile_id.txt', items: 134 });
    expect(b.sampling.stop).toContain('\nObservation:');
  });

  it('an ALFWorld episode needs the environment\'s first observation and has no feedback mode yet', () => {
    const item = { id: 'i', gamefile: 'g', taskType: 'put' as const };
    expect(() => alfworldBenchmark.agent.startEpisode(item, { feedback: false })).toThrow(/first observation/);
    expect(() => alfworldBenchmark.agent.startEpisode(item, { feedback: true, observation: 'o' })).toThrow(/feedback/);
    expect(alfworldBenchmark.agent.startEpisode(item, { feedback: false, observation: 'o' }).next().kind).toBe('model');
  });
});
