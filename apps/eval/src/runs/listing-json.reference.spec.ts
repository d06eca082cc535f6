// The reference listings (listing-json.reference.test-fixture.ts) the SQL-written ones are pinned to: the shapes the REST
// API lists, with the config and regression check mapped as the service maps them (listing-json.mapper.ts).
import { describe, expect, it } from 'vitest';
import { runListingJson, runRecordOf, sampleListingJson, type RunRow } from './listing-json.reference.test-fixture';
import type { SampleRow } from './run-store';

const SPEC_TEXT = '{"items": 2, "metric": "pass@k", "sampling": {"stop": ["\\ndef"], "maxTokens": 64}, "benchmarkRef": "humaneval@1"}';
const SUMMARY_TEXT =
  '{"counts": {"total": 4, "scored": 3, "errored": 1, "pending": 0, "cancelled": 0}, "metrics": [{"n": 2, "ci": [0.1, 0.9], "name": "pass@1", "value": 0.5, "method": "wilson"}], "promptTokens": 480, "elapsedSeconds": 1.5, "completionTokens": 80, "completionTokensPerSecond": 53.3}';

function runRow(overrides: Partial<RunRow> = {}): RunRow {
  return {
    id: '7b0c3c52-8a3e-4f53-9d0e-0a4a4f4c2f11',
    teamId: 'b3f0b6a8-2f7e-4a9b-8f1e-7c6d5e4b3a21',
    modelName: 'lemur-70b',
    benchmark: 'humaneval',
    benchmarkVersion: '1',
    status: 'SUCCEEDED',
    configJson: '{"chat": false, "limit": 2, "concurrency": 4, "samplesPerItem": 2}',
    specJson: SPEC_TEXT,
    totalSamples: 4,
    summaryJson: SUMMARY_TEXT,
    error: null,
    createdAt: '2026-12-03T10:00:00.123Z',
    startedAt: '2026-12-03T10:00:01.000Z',
    finishedAt: null,
    scheduleId: null,
    regressionJson: null,
    sourceRunId: null,
    suiteRunId: null,
    ...overrides,
  };
}

function sampleRow(overrides: Partial<SampleRow> = {}): SampleRow {
  return {
    id: '0d7f5c1e-3b9a-4c2d-8e6f-1a2b3c4d5e6f',
    itemId: 'HumanEval/7',
    itemIndex: 7,
    sampleIndex: 1,
    status: 'SCORED',
    attempts: 2,
    prompt: 'def f(x):\n    """Say "hi" \u2028 to \u{1F600}"""\n',
    completion: '    return "hi"',
    score: 0.25,
    passed: false,
    error: null,
    promptTokens: 120,
    completionTokens: 20,
    latencyMs: 310,
    scoreDetailJson: '{"reason": "1 of 4 tests passed"}',
    transcriptJson: '[{"role": "user", "content": "hi"}]',
    ...overrides,
  };
}

describe('runListingJson', () => {
  it('writes a run as the REST API lists it, with the stored spec and summary text spliced in', () => {
    const json = runListingJson(runRow(), 'local', SUMMARY_TEXT);
    expect(json).toContain(`"spec":${SPEC_TEXT}`);
    expect(json).toContain(`"summary":${SUMMARY_TEXT}`);
    expect(JSON.parse(json)).toStrictEqual({
      id: '7b0c3c52-8a3e-4f53-9d0e-0a4a4f4c2f11',
      team: 'local',
      model: 'lemur-70b',
      benchmark: 'humaneval',
      benchmarkVersion: '1',
      status: 'succeeded',
      config: { limit: 2, samples: 2, concurrency: 4, chat: false },
      spec: JSON.parse(SPEC_TEXT),
      summary: JSON.parse(SUMMARY_TEXT),
      createdAt: '2026-12-03T10:00:00.123Z',
      startedAt: '2026-12-03T10:00:01.000Z',
      finishedAt: null,
      scheduleId: null,
      sourceRunId: null,
      suiteRunId: null,
      regression: null,
    });
  });

  it('includes the error, sampling options, links and the regression check when the run has them', () => {
    const row = runRow({
      status: 'FAILED',
      error: 'sandbox "lost"',
      configJson: '{"chat": true, "seed": 7, "topP": 0.9, "limit": 0, "maxTokens": 256, "concurrency": 8, "temperature": 0, "feedbackModel": "sim:judge", "samplesPerItem": 1}',
      scheduleId: '11111111-1111-4111-8111-111111111111',
      sourceRunId: '22222222-2222-4222-8222-222222222222',
      suiteRunId: '33333333-3333-4333-8333-333333333333',
      regressionJson:
        '{"ci": [-0.4, -0.1], "note": "", "delta": -0.25, "pValue": 0.01, "checkedAt": "2026-12-03T11:00:00.000Z", "regressed": true, "comparable": true, "significant": true, "baselineRunId": null, "regressedItems": 3}',
    });
    expect(JSON.parse(runListingJson(row, 'team "a"', null))).toMatchObject({
      team: 'team "a"',
      status: 'failed',
      error: 'sandbox "lost"',
      config: { limit: 0, samples: 1, concurrency: 8, chat: true, temperature: 0, maxTokens: 256, topP: 0.9, seed: 7, feedbackModel: 'sim:judge' },
      summary: null,
      scheduleId: '11111111-1111-4111-8111-111111111111',
      sourceRunId: '22222222-2222-4222-8222-222222222222',
      suiteRunId: '33333333-3333-4333-8333-333333333333',
      regression: {
        baselineRunId: null,
        regressed: true,
        delta: -0.25,
        ci: [-0.4, -0.1],
        pValue: 0.01,
        significant: true,
        comparable: true,
        regressedItems: 3,
        note: '',
        checkedAt: '2026-12-03T11:00:00.000Z',
      },
    });
  });

  it('leaves out an empty error and an empty feedback model', () => {
    const parsed = JSON.parse(runListingJson(runRow({ error: '', configJson: '{"chat": false, "limit": 1, "concurrency": 1, "feedbackModel": "", "samplesPerItem": 1}' }), 'local', null)) as Record<string, unknown>;
    expect(parsed).not.toHaveProperty('error');
    expect(parsed.config).toStrictEqual({ limit: 1, samples: 1, concurrency: 1, chat: false });
  });

  it('parses a listed row back into the record the live summary needs', () => {
    const record = runRecordOf(runRow({ regressionJson: '{"regressed": false, "delta": 0, "ci": [0, 0], "note": "no baseline yet"}' }));
    expect(record.config).toStrictEqual({ chat: false, limit: 2, concurrency: 4, samplesPerItem: 2 });
    expect(record.spec).toStrictEqual(JSON.parse(SPEC_TEXT));
    expect(record.summary).toStrictEqual(JSON.parse(SUMMARY_TEXT));
    expect(record.regression).toMatchObject({ note: 'no baseline yet' });
    expect(record.createdAt).toStrictEqual(new Date('2026-12-03T10:00:00.123Z'));
    expect(record.finishedAt).toBeNull();
    expect(record).not.toHaveProperty('configJson');
  });
});

describe('sampleListingJson', () => {
  it('writes a sample as the REST API lists it, with the stored detail text spliced in untouched', () => {
    const row = sampleRow();
    const json = sampleListingJson(row);
    expect(json).toContain('"detail":{"score":{"reason": "1 of 4 tests passed"},"transcript":[{"role": "user", "content": "hi"}],"attempts":2}');
    expect(JSON.parse(json)).toStrictEqual({
      id: row.id,
      itemId: 'HumanEval/7',
      itemIndex: 7,
      sampleIndex: 1,
      status: 'scored',
      score: 0.25,
      passed: false,
      prompt: row.prompt,
      completion: row.completion,
      error: null,
      promptTokens: 120,
      completionTokens: 20,
      latencyMs: 310,
      detail: { score: { reason: '1 of 4 tests passed' }, transcript: [{ role: 'user', content: 'hi' }], attempts: 2 },
    });
  });

  it('writes an unscored sample with score and passed null (never 0) and empty texts for missing ones', () => {
    const json = sampleListingJson(
      sampleRow({ status: 'ERRORED', score: null, passed: null, prompt: null, completion: null, error: 'timed out', promptTokens: null, completionTokens: null, latencyMs: null, scoreDetailJson: null, transcriptJson: null }),
    );
    expect(JSON.parse(json)).toMatchObject({
      status: 'errored',
      score: null,
      passed: null,
      prompt: '',
      completion: '',
      error: 'timed out',
      promptTokens: 0,
      completionTokens: 0,
      latencyMs: 0,
      detail: { score: null, transcript: null, attempts: 2 },
    });
  });

  it('writes a score that is not a JSON number as null, as JSON.stringify would', () => {
    expect(JSON.parse(sampleListingJson(sampleRow({ score: Number.NaN }))).score).toBeNull();
    expect(JSON.parse(sampleListingJson(sampleRow({ score: -0 }))).score).toBe(0);
  });
});
