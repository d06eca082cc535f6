import { describe, expect, it } from 'vitest';
import { loadEvalConfig } from './eval.config';

const base = { DATABASE_URL: 'postgresql://127.0.0.1:5432/test' };

// The inference service's defaults (apps/inference/src/config): INFERENCE_COLD_START_TIMEOUT_MS and
// INFERENCE_UPSTREAM_TIMEOUT_MS, the wait for a model scaled to zero and one call to a replica.
const INFERENCE_COLD_START_MS = 900_000;
const INFERENCE_UPSTREAM_MS = 600_000;

describe('EVAL_SAMPLE_TIMEOUT_MS, the Generate deadline', () => {
  it("defaults above inference's cold-start wait plus one generation, so a sample can wait out a model scaled to zero", () => {
    expect(loadEvalConfig(base).sampleTimeoutMs).toBeGreaterThan(INFERENCE_COLD_START_MS + INFERENCE_UPSTREAM_MS);
  });

  it('must exceed the cold-start wait it is told of, and names both variables when it does not', () => {
    for (const [timeout, coldStart] of [['600000', undefined], ['900000', '900000'], ['60000', '120000']] as const) {
      const env = { ...base, EVAL_SAMPLE_TIMEOUT_MS: timeout, ...(coldStart === undefined ? {} : { EVAL_INFERENCE_COLD_START_MS: coldStart }) };
      expect(() => loadEvalConfig(env)).toThrow(/EVAL_SAMPLE_TIMEOUT_MS[\s\S]*EVAL_INFERENCE_COLD_START_MS/);
    }
    expect(loadEvalConfig({ ...base, EVAL_SAMPLE_TIMEOUT_MS: '1200000', EVAL_INFERENCE_COLD_START_MS: '600000' }).sampleTimeoutMs).toBe(1_200_000);
  });

  it('takes any deadline where inference never scales a model from zero (cold start 0)', () => {
    expect(loadEvalConfig({ ...base, EVAL_SAMPLE_TIMEOUT_MS: '30000', EVAL_INFERENCE_COLD_START_MS: '0' }).sampleTimeoutMs).toBe(30_000);
  });

  it.each(['-1', '1.5', 'never'])('refuses a cold start of %s, naming the variable', (bad) => {
    expect(() => loadEvalConfig({ ...base, EVAL_INFERENCE_COLD_START_MS: bad })).toThrow(/EVAL_INFERENCE_COLD_START_MS/);
  });
});

describe('EVAL_JOB_EXPIRE_SECONDS, the queue lease of a sample', () => {
  it('outlasts the Generate deadline by default, so a sample waiting out a cold start is not handed to a second worker', () => {
    expect(loadEvalConfig(base).jobExpireSeconds * 1000).toBeGreaterThan(loadEvalConfig(base).sampleTimeoutMs);
    expect(loadEvalConfig({ ...base, EVAL_SAMPLE_TIMEOUT_MS: '30000', EVAL_INFERENCE_COLD_START_MS: '0' }).jobExpireSeconds).toBe(90);
  });

  it('is taken as given when set (a test that kills workers wants a short one)', () => {
    expect(loadEvalConfig({ ...base, EVAL_JOB_EXPIRE_SECONDS: '3' }).jobExpireSeconds).toBe(3);
  });
});
