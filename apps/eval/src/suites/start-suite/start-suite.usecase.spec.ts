import { resolve } from 'node:path';
import { getBenchmark, LEMUR_PAPER_SUITE, type Benchmark } from '@lemur/benchmarks';
import { type PlatformError } from '@lemur/shared-errors';
import { createLogger } from '@lemur/shared-logging';
import { describe, expect, it } from 'vitest';
import { BenchmarkCatalog } from '../../benchmarks/benchmark-catalog';
import type { SampleQueue } from '../../queue/sample-queue';
import type { NewRun, RunStore } from '../../runs/run-store';
import type { RunRecord } from '../../runs/run.types';
import { StartRunUseCase } from '../../runs/start-run/start-run.usecase';
import type { SuiteMemberRecord, SuiteRunRecord, SuiteRunStore } from '../suite-run.types';
import type { StartSuiteCommand } from './start-suite.command';
import { StartSuiteUseCase } from './start-suite.usecase';

const datasets = resolve(__dirname, '../../../../../../shared/datasets');

/** The real StartRunUseCase and catalog over in-memory stores; `known` is what the registry holds for this test. */
function setup(known: string[]) {
  const created: NewRun[] = [];
  const suites = new Map<string, SuiteRunRecord>();
  const runs = {
    ensureTeam: async (name: string) => `team-${name}`,
    createWithSamples: async (run: NewRun) => {
      created.push(run);
      const record = { id: `run-${created.length}`, ...run, status: 'QUEUED', totalSamples: run.samples.length } as unknown as RunRecord;
      return { run: record, sampleIds: run.samples.map((_, i) => `s${i}`) };
    },
  } as unknown as RunStore;
  const queue = { enqueue: async () => undefined } as unknown as SampleQueue;
  const models = { has: async (m: string) => m.startsWith('sim:'), names: async () => ['sim:oracle', 'sim:echo'], chatOnly: async () => false };
  const suiteRuns: SuiteRunStore = {
    create: async (r) => {
      const record = { id: `suite-${suites.size + 1}`, ...r, members: [], createdAt: new Date(0) };
      suites.set(record.id, record);
      return record;
    },
    setMembers: async (id, members) => {
      suites.get(id)!.members = [...members];
    },
    delete: async (id) => {
      suites.delete(id);
    },
    findForTeam: async (_teamId, id) => suites.get(id) ?? null,
  };
  const catalog = new BenchmarkCatalog({ datasetsDir: datasets, online: false });
  const logger = createLogger('test', 'silent');
  const startRun = new StartRunUseCase(runs, catalog, models, queue, logger, { platformVersion: '9.9.9', defaultConcurrency: 16 });
  const lookup = (id: string): Benchmark | undefined => (known.includes(id) ? getBenchmark(id) : undefined);
  return { useCase: new StartSuiteUseCase(suiteRuns, runs, catalog, models, startRun, logger, lookup), created, suites };
}

const base: StartSuiteCommand = { team: 'local', model: 'sim:oracle', suite: 'lemur-paper', limit: 0, samplesPerItem: 0, concurrency: 0, chat: false };
const state = (members: SuiteMemberRecord[], key: string) => members.find((m) => m.key === key);

describe('StartSuiteUseCase', () => {
  it.each([
    { name: 'a limit below every dataset caps each run at it', limit: 5, items: { gsm8k: 5, humaneval: 5 } },
    { name: 'a limit above a dataset caps that run at the dataset', limit: 500, items: { gsm8k: 500, humaneval: 164 } },
    { name: 'no limit takes every item', limit: 0, items: { gsm8k: 1319, humaneval: 164 } },
  ])('$name; missing data is skipped with the loader message, unknown ids are unavailable', async ({ limit, items }) => {
    const { useCase, created, suites } = setup(['gsm8k', 'humaneval', 'multipl-e']);
    const suiteRun = await useCase.execute({ ...base, limit });
    expect(created.map((r) => [r.benchmark, r.samples.length, r.suiteRunId])).toEqual([
      ['gsm8k', items.gsm8k, suiteRun.id],
      ['humaneval', items.humaneval, suiteRun.id],
    ]);
    expect(suiteRun.members).toHaveLength(LEMUR_PAPER_SUITE.benchmarks.length);
    expect(state(suiteRun.members, 'gsm8k')).toMatchObject({ state: 'STARTED', runId: 'run-1' });
    expect(state(suiteRun.members, 'multipl-e')).toMatchObject({ state: 'SKIPPED', reason: expect.stringContaining('multipl-e/humaneval-cpp.jsonl') });
    expect(state(suiteRun.members, 'spider')).toEqual({ key: 'spider', benchmark: 'spider', feedback: false, state: 'UNAVAILABLE', reason: 'spider is not available in this version' });
    expect(suites.get(suiteRun.id)?.members).toEqual(suiteRun.members);
  });

  it('runs the MINT tasks a second time with the feedback model, and only those', async () => {
    const { useCase, created } = setup(['mint-gsm8k', 'gsm8k']);
    const suiteRun = await useCase.execute({ ...base, limit: 1, feedbackModel: 'sim:echo' });
    expect(created.map((r) => [r.benchmark, r.config.feedbackModel])).toEqual([
      ['gsm8k', undefined],
      ['mint-gsm8k', undefined],
      ['mint-gsm8k', 'sim:echo'],
    ]);
    expect(suiteRun.members.filter((m) => m.feedback).map((m) => m.key)).toContain('mint-gsm8k+feedback');
  });

  it.each([
    { name: 'an unknown suite', cmd: { suite: 'lemur' }, code: 'INVALID_ARGUMENT', message: /known suites: lemur-paper/ },
    { name: 'an unknown model', cmd: { model: 'gpt-9' }, code: 'MODEL_NOT_FOUND', message: /unknown model "gpt-9"/ },
    { name: 'an unknown feedback model', cmd: { feedbackModel: 'gpt-9' }, code: 'MODEL_NOT_FOUND', message: /feedback model/ },
    { name: 'settings no member accepts', cmd: { temperature: 3 }, code: 'INVALID_ARGUMENT', message: /temperature/ },
  ])('rejects $name as a whole and keeps nothing', async ({ cmd, code, message }) => {
    const { useCase, created, suites } = setup(['gsm8k', 'humaneval']);
    const err = (await useCase.execute({ ...base, ...cmd }).catch((e: unknown) => e)) as PlatformError;
    expect(err).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(created).toEqual([]);
    expect(suites.size).toBe(0);
  });
});
