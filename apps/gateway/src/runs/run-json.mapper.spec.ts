import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { evalV1 } from '@lemur/proto';
import { describe, expect, it } from 'vitest';
import { runJson, sampleJson, sampleStatusValue } from './run-json.mapper';

describe('run JSON', () => {
  it('turns a proto run into plain JSON', () => {
    const run = create(evalV1.RunSchema, {
      id: 'r',
      model: 'm',
      benchmark: 'gsm8k',
      benchmarkVersion: '1.0.0',
      status: evalV1.RunStatus.RUNNING,
      config: { limit: 5, samplesPerItem: 1, concurrency: 8, seed: 7n },
      summary: {
        metrics: [{ name: 'accuracy', value: 0.5, ciLow: 0.2, ciHigh: 0.8, method: 'wilson', n: 4 }],
        counts: { total: 5, pending: 1, scored: 4 },
        promptTokens: 10n,
        completionTokens: 20n,
      },
      createdAt: timestampFromDate(new Date('2026-11-25T10:00:00Z')),
    });
    const json = runJson(run);
    expect(json).toMatchObject({
      status: 'running',
      config: { limit: 5, samples: 1, concurrency: 8, seed: 7 },
      summary: { metrics: [{ name: 'accuracy', ci: [0.2, 0.8] }], counts: { total: 5, pending: 1, scored: 4, errored: 0 }, completionTokens: 20 },
      createdAt: '2026-11-25T10:00:00.000Z',
      startedAt: null,
    });
    expect(JSON.stringify(json)).not.toContain('$typeName');
  });

  it("shows the whole manifest, the model's revision and the tool provider included, from the run or from its JSON text", () => {
    const spec = { benchmarkRef: 'mint-gsm8k@1.0.0', modelRevision: 'main@3f2a9c1', agent: { tools: ['wikipedia_search'], toolProvider: 'offline-stub' } };
    const run = create(evalV1.RunSchema, { id: 'r', model: 'm', benchmark: 'mint-gsm8k', spec });
    expect(runJson(run).spec).toEqual(spec);
    expect(runJson(create(evalV1.RunSchema, { id: 'r' }), JSON.stringify(spec)).spec).toEqual(spec);
  });

  it('keeps an unscored sample unscored (null), not 0', () => {
    const json = sampleJson(create(evalV1.SampleSchema, { id: 's', status: evalV1.SampleStatus.ERRORED, error: 'boom' }));
    expect(json).toMatchObject({ status: 'errored', score: null, passed: null, error: 'boom' });
  });

  it('maps REST status filters', () => {
    expect(sampleStatusValue('errored')).toBe(evalV1.SampleStatus.ERRORED);
    expect(sampleStatusValue(undefined)).toBe(evalV1.SampleStatus.UNSPECIFIED);
  });
});
