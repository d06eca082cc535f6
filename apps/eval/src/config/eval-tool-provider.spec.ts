import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEvalConfig } from './eval.config';

const base = { DATABASE_URL: 'postgresql://127.0.0.1:5432/test' };
const DATASETS = resolve(__dirname, '../../../../../shared/datasets');
const empty = mkdtempSync(join(tmpdir(), 'lemur-no-datasets-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('EVAL_TOOL_PROVIDER, what the tools of agent sessions answer', () => {
  it('uses the offline stub unless told otherwise, needing no datasets', () => {
    expect(loadEvalConfig(base, empty).toolProvider).toEqual({ name: 'offline-stub' });
    expect(loadEvalConfig({ ...base, EVAL_TOOL_PROVIDER: 'offline-stub' }, empty).toolProvider).toEqual({ name: 'offline-stub' });
  });

  it("finds MINT's published outputs in the datasets folder for the published cache", () => {
    expect(loadEvalConfig({ ...base, EVAL_TOOL_PROVIDER: 'published-wikipedia-cache', LEMUR_DATASETS_DIR: DATASETS }, empty).toolProvider).toEqual({
      name: 'published-wikipedia-cache',
      outputsDir: join(DATASETS, 'mint-bench/data/outputs'),
    });
  });

  it('stops start-up naming the folder when the datasets folder lacks the outputs', () => {
    expect(() => loadEvalConfig({ ...base, EVAL_TOOL_PROVIDER: 'published-wikipedia-cache', LEMUR_DATASETS_DIR: empty }, empty)).toThrow(
      `looked in ${join(empty, 'mint-bench/data/outputs')}`,
    );
    expect(() => loadEvalConfig({ ...base, EVAL_TOOL_PROVIDER: 'published-wikipedia-cache' }, empty)).toThrow(/no datasets folder is configured/);
  });

  it('refuses a provider it does not know, naming the variable', () => {
    expect(() => loadEvalConfig({ ...base, EVAL_TOOL_PROVIDER: 'live-wikipedia' })).toThrow(/EVAL_TOOL_PROVIDER/);
  });
});
