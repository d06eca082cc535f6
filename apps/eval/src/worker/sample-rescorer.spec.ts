import { mmluBenchmark, type CodeExecutor, type MmluItem } from '@lemur/benchmarks';
import { describe, expect, it } from 'vitest';
import type { SampleView } from '../runs/run-store';
import type { RescoreSpec, SampleRecord } from '../runs/run.types';
import { SampleRescorer } from './sample-rescorer';

const item: MmluItem = { id: 'mmlu/anatomy/0', subject: 'anatomy', question: 'q?', choices: ['a', 'b', 'c', 'd'], answer: 'C', fewShot: '' };
const rescore: RescoreSpec = { sourceRunId: 'run-a', sourceBenchmarkRef: 'mmlu@2.0.0', scorerRef: 'mmlu@2.0.0' };
const sample: SampleRecord = { id: 's2', runId: 'run-b', itemId: item.id, itemIndex: 0, sampleIndex: 0, status: 'PENDING', attempts: 1 };
const noSandbox: CodeExecutor = { execute: () => Promise.reject(new Error('MMLU needs no sandbox')) } as unknown as CodeExecutor;

function source(over: Partial<SampleView>): SampleView {
  return {
    id: 's1', runId: 'run-a', itemId: item.id, itemIndex: 0, sampleIndex: 0, status: 'SCORED', attempts: 1,
    prompt: 'p', completion: ' B', score: 0, passed: false, scoreDetail: { scoring: 'logprobs' }, transcript: [],
    error: null, promptTokens: 10, completionTokens: 1, latencyMs: 5, ...over,
  };
}

const rescorer = (view: SampleView) => new SampleRescorer({ findAt: () => Promise.resolve(view) }, () => noSandbox);

describe('SampleRescorer on a benchmark scored by likelihood', () => {
  it('judges the stored candidates, not the completion text (the top token)', async () => {
    // The top token is " The" (not a letter); among the letters, C is the most likely: the harness's answer is C.
    const transcript = [{ role: 'model', content: ' The', topLogprobs: [{ token: ' The', logprob: -0.1 }, { token: ' B', logprob: -3 }, { token: ' C', logprob: -2 }] }];
    const result = await rescorer(source({ completion: ' The', transcript })).rescore({ spec: {} } as never, rescore, mmluBenchmark, item, sample);
    expect(result).toMatchObject({ status: 'SCORED', score: 1, passed: true, promptTokens: 0, completionTokens: 0 });
    expect(result.scoreDetail).toMatchObject({ scoring: 'logprobs', extracted: 'C' });
  });

  it('scores a wrong letter 0', async () => {
    const transcript = [{ role: 'model', content: ' B', topLogprobs: [{ token: ' B', logprob: -0.1 }, { token: ' C', logprob: -2 }] }];
    const result = await rescorer(source({ transcript })).rescore({ spec: {} } as never, rescore, mmluBenchmark, item, sample);
    expect(result).toMatchObject({ status: 'SCORED', score: 0, passed: false });
  });

  it('errors, with the reason, when the stored candidates are missing or malformed', async () => {
    for (const transcript of [[], [{ role: 'model', content: ' B' }], [{ topLogprobs: [{ token: 1, logprob: 'x' }] }]]) {
      const result = await rescorer(source({ transcript })).rescore({ spec: {} } as never, rescore, mmluBenchmark, item, sample);
      expect(result.status).toBe('ERRORED');
      expect(result.error).toMatch(/stored no candidates/);
    }
  });

  it('judges a generation-fallback sample from its completion text', async () => {
    const result = await rescorer(source({ completion: ' C', scoreDetail: { scoring: 'generation' } })).rescore({ spec: {} } as never, rescore, mmluBenchmark, item, sample);
    expect(result).toMatchObject({ status: 'SCORED', score: 1 });
  });
});
