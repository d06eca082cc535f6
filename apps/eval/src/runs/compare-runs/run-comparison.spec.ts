import { describe, expect, it } from 'vitest';
import type { RunRecord, RunSpec } from '../run.types';
import { specDifferences } from './run-comparison';

const spec: RunSpec = {
  benchmarkRef: 'mint-gsm8k@1.0.0',
  datasetFile: 'mint-bench/',
  datasetSha256: 'abc',
  datasetSource: 'shared',
  promptTemplateHash: 'def',
  metric: 'accuracy',
  sampling: { maxTokens: 512, temperature: 0, topP: 1, stop: ['</execute>'] },
  platformVersion: '0.1.0',
  modelRevision: 'main@1111111',
  items: 48,
  agent: { protocol: 'mint', scoringRules: 'published', maxSteps: 5, maxProposeSolution: 2, cellTimeoutMs: 30_000, tools: ['wikipedia_search'], toolProvider: 'offline-stub' },
};

const run = (patch: Partial<RunSpec> = {}, modelName = 'lemur-70b-chat'): RunRecord =>
  ({ id: 'r', modelName, benchmark: 'mint-gsm8k', config: { limit: 48, samplesPerItem: 1, concurrency: 4, chat: true }, spec: { ...spec, ...patch } }) as RunRecord;

describe('specDifferences', () => {
  it.each([
    { name: 'identical manifests', b: run(), expected: [] },
    {
      name: 'other weights under the same model name',
      b: run({ modelRevision: 'main@2222222' }),
      expected: [{ field: 'modelRevision', a: '"main@1111111"', b: '"main@2222222"', breaksComparability: false }],
    },
    {
      name: 'a model registered without a revision',
      b: run({ modelRevision: '' }),
      expected: [{ field: 'modelRevision', a: '"main@1111111"', b: '""', breaksComparability: false }],
    },
    {
      name: 'another tool provider',
      b: run({ agent: { ...spec.agent!, toolProvider: 'wikipedia-cache' } }),
      expected: [{ field: 'toolProvider', a: '"offline-stub"', b: '"wikipedia-cache"', breaksComparability: false }],
    },
    {
      name: 'another model, and its revision',
      b: run({ modelRevision: 'v2' }, 'lemur-70b'),
      expected: [
        { field: 'model', a: '"lemur-70b-chat"', b: '"lemur-70b"', breaksComparability: false },
        { field: 'modelRevision', a: '"main@1111111"', b: '"v2"', breaksComparability: false },
      ],
    },
  ])('$name', ({ b, expected }) => {
    expect(specDifferences(run(), b)).toEqual(expected);
  });
});
