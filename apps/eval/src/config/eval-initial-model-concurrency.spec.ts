import { describe, expect, it } from 'vitest';
import { DEFAULT_INITIAL_MODEL_CONCURRENCY } from '../worker/adaptive-concurrency';
import { loadEvalConfig } from './eval.config';

const base = { DATABASE_URL: 'postgresql://127.0.0.1:5432/test' };

describe('EVAL_INITIAL_MODEL_CONCURRENCY', () => {
  it('defaults to the limiter default and takes any whole number from 1 to 1024', () => {
    expect(loadEvalConfig(base).initialModelConcurrency).toBe(DEFAULT_INITIAL_MODEL_CONCURRENCY);
    expect(loadEvalConfig({ ...base, EVAL_INITIAL_MODEL_CONCURRENCY: '1' }).initialModelConcurrency).toBe(1);
    expect(loadEvalConfig({ ...base, EVAL_INITIAL_MODEL_CONCURRENCY: '1024' }).initialModelConcurrency).toBe(1024);
  });

  it.each(['0', '1025', '2.5', 'many'])('refuses %s, naming the variable', (bad) => {
    expect(() => loadEvalConfig({ ...base, EVAL_INITIAL_MODEL_CONCURRENCY: bad })).toThrow(/EVAL_INITIAL_MODEL_CONCURRENCY/);
  });
});
