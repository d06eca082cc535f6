import { join, resolve } from 'node:path';
import { gsm8kBenchmark, humanEvalBenchmark } from '@lemur/benchmarks';
import { type PlatformError } from '@lemur/shared-errors';
import { createLogger } from '@lemur/shared-logging';
import { describe, expect, it } from 'vitest';
import { BenchmarkCatalog } from '../../benchmarks/benchmark-catalog';
import type { SampleQueue } from '../../queue/sample-queue';
import type { NewRun, RunStore } from '../run-store';
import type { RunRecord } from '../run.types';
import type { StartRunCommand } from './start-run.command';
import { type SandboxDirectory, StartRunUseCase } from './start-run.usecase';

const datasets = resolve(__dirname, '../../../../../../shared/datasets');

function setup(opts: { failQueue?: boolean; environmentUrl?: string; sandbox?: SandboxDirectory; toolProvider?: string; revisions?: false } = {}) {
  const created: NewRun[] = [];
  const queued: string[][] = [];
  const runs = {
    ensureTeam: async (name: string) => `team-${name}`,
    createWithSamples: async (run: NewRun) => {
      created.push(run);
      const record = { id: 'run-1', ...run, status: 'QUEUED', totalSamples: run.samples.length } as unknown as RunRecord;
      return { run: record, sampleIds: run.samples.map((_, i) => `s${i}`) };
    },
  } as unknown as RunStore;
  const queue = {
    enqueue: async (_runId: string, ids: readonly string[]) => {
      if (opts.failQueue) throw new Error('queue down');
      queued.push([...ids]);
    },
  } as unknown as SampleQueue;
  const models = {
    has: async (m: string) => m === 'sim:oracle' || m === 'chat-only',
    names: async () => ['sim:oracle', 'chat-only'],
    chatOnly: async (m: string) => m === 'chat-only',
    ...(opts.revisions === false ? {} : { revision: async (m: string) => (m === 'chat-only' ? 'main@9e1f2d3' : '') }),
  };
  const catalog = new BenchmarkCatalog({ datasetsDir: datasets, online: false });
  const useCase = new StartRunUseCase(runs, catalog, models, queue, createLogger('test', 'silent'), {
    platformVersion: '9.9.9',
    defaultConcurrency: 16,
    ...(opts.environmentUrl ? { environmentUrl: opts.environmentUrl } : {}),
    ...(opts.sandbox ? { sandbox: opts.sandbox } : {}),
    ...(opts.toolProvider ? { toolProvider: opts.toolProvider } : {}),
  });
  return { useCase, created, queued };
}

const base: StartRunCommand = { team: 'local', model: 'sim:oracle', benchmark: 'gsm8k', limit: 0, samplesPerItem: 0, concurrency: 0, chat: false };

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('expected a rejection');
}

describe('StartRunUseCase', () => {
  it("refuses InterCode-SQL when the sandbox lacks its MySQL databases (SANDBOX_UNAVAILABLE, so a suite marks it unavailable), and starts it when they are there", async () => {
    const served = (dbs: string[]): SandboxDirectory => ({ mysqlDatabases: async () => dbs });
    const none = await rejection(setup({ sandbox: served([]) }).useCase.execute({ ...base, benchmark: 'intercode-sql', limit: 3 }));
    expect(none).toMatchObject({ code: 'SANDBOX_UNAVAILABLE', message: expect.stringMatching(/intercode-sql needs 3 MySQL database.*serves none.*SANDBOX_MYSQL_URL/) });
    const some = await rejection(setup({ sandbox: served(['concert_singer']) }).useCase.execute({ ...base, benchmark: 'intercode-sql' }));
    expect(some.message).toMatch(/needs 20 MySQL database\(s\).*it lacks \w+(, \w+){4} and 14 more/);
    const down = await rejection(setup({ sandbox: { mysqlDatabases: async () => Promise.reject(new Error('connect ECONNREFUSED')) } }).useCase.execute({ ...base, benchmark: 'intercode-sql', limit: 3 }));
    expect(down).toMatchObject({ code: 'SANDBOX_UNAVAILABLE', message: expect.stringMatching(/could not be asked.*ECONNREFUSED/) });
    // The first 5 items need these four databases only (names compared as MariaDB with lower_case_table_names=1 stores them).
    const { useCase, created } = setup({ sandbox: served(['poker_player', 'flight_2', 'world_1', 'orchestra', 'cre_doc_template_mgt']) });
    await useCase.execute({ ...base, benchmark: 'intercode-sql', limit: 5 });
    expect(created).toHaveLength(1);
    // Benchmarks without databases never ask.
    await setup({ sandbox: { mysqlDatabases: async () => Promise.reject(new Error('not asked')) } }).useCase.execute({ ...base, limit: 2 });
  });

  it('refuses an environment-server benchmark without a server, and records the server and its tools in the spec', async () => {
    const err = await rejection(setup().useCase.execute({ ...base, benchmark: 'mint-alfworld' }));
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/LEMUR_ENVIRONMENT_URL/) });
    const { useCase, created } = setup({ environmentUrl: 'http://127.0.0.1:8300' });
    await useCase.execute({ ...base, benchmark: 'mint-alfworld', limit: 2 });
    expect(created[0]!.spec.agent).toMatchObject({ protocol: 'mint', tools: [], environment: { endpoint: 'http://127.0.0.1:8300', tools: expect.arrayContaining(['goto', 'put', 'look']) } });
    expect(created[0]!.samples.map((s) => s.itemId)[0]).toMatch(/^mint-alfworld\/pick_heat_then_place_in_recep-Apple/);
  });

  it('plans every item × samples and records what re-creates the run', async () => {
    const { useCase, created, queued } = setup();
    await useCase.execute({ ...base, benchmark: 'humaneval', limit: 10, samplesPerItem: 3, seed: 7 });
    const run = created[0]!;
    expect(run.samples).toHaveLength(30);
    expect(run.samples.slice(0, 4).map((s) => [s.itemIndex, s.sampleIndex])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
    ]);
    expect(run.spec).toMatchObject({
      benchmarkRef: 'humaneval@1.0.0',
      datasetFile: humanEvalBenchmark.dataset.name,
      datasetSha256: humanEvalBenchmark.dataset.files[0]!.sha256,
      promptTemplateHash: humanEvalBenchmark.promptTemplateHash,
      metric: 'pass@k',
      sampling: { ...humanEvalBenchmark.sampling, seed: 7 },
      platformVersion: '9.9.9',
      items: 10,
    });
    expect(run.config).toMatchObject({ samplesPerItem: 3, concurrency: 16, seed: 7 });
    expect(queued[0]).toHaveLength(30);
  });

  it("records the model's weights revision ('' when it has none) and, for agent benchmarks, the tool provider", async () => {
    const { useCase, created } = setup({ toolProvider: 'offline-stub' });
    await useCase.execute({ ...base, model: 'chat-only', benchmark: 'mint-gsm8k', limit: 2 });
    await useCase.execute({ ...base, limit: 2 });
    expect(created[0]!.spec).toMatchObject({ modelRevision: 'main@9e1f2d3', agent: { tools: ['wikipedia_search'], toolProvider: 'offline-stub' } });
    expect(created[1]!.spec.modelRevision).toBe('');
    expect(created[1]!.spec.agent).toBeUndefined();
    // A directory that cannot tell revisions records none, rather than claiming the model has none.
    const blind = setup({ revisions: false });
    await blind.useCase.execute({ ...base, limit: 2 });
    expect(blind.created[0]!.spec).not.toHaveProperty('modelRevision');
  });

  it('takes all 1,319 GSM8K items by default and sends no completion stop strings to the chat API', async () => {
    const { useCase, created } = setup();
    await useCase.execute({ ...base, chat: true, temperature: 0.5 });
    expect(created[0]!.samples).toHaveLength(1319);
    expect(created[0]!.spec.sampling).toMatchObject({ stop: [], temperature: 0.5, maxTokens: gsm8kBenchmark.sampling.maxTokens });
  });

  it('records in the manifest how MMLU chooses its letters: logprobs, or generation for a chat run or chat-only model', async () => {
    const { useCase, created } = setup();
    await useCase.execute({ ...base, benchmark: 'mmlu', limit: 3 });
    await useCase.execute({ ...base, benchmark: 'mmlu', limit: 3, chat: true });
    await useCase.execute({ ...base, benchmark: 'mmlu', limit: 3, model: 'chat-only' });
    await useCase.execute({ ...base, limit: 3 });
    expect(created.map((r) => r.spec.choiceScoring)).toEqual([
      { method: 'logprobs', protocol: 'next-token-logprobs', topLogprobs: 20, maxTokens: 1, fallback: 'generation' },
      { method: 'generation', reason: 'the run uses the chat API (chat option)' },
      { method: 'generation', reason: 'model "chat-only" is registered chat-only' },
      undefined,
    ]);
    expect(created[0]!.spec.benchmarkRef).toBe('mmlu@2.0.0');
  });

  it.each([
    [{ limit: -1 }, 'limit'],
    [{ limit: 1.5 }, 'limit'],
    [{ limit: 5000 }, 'limit'],
    [{ samplesPerItem: 201 }, 'samples'],
    [{ concurrency: 5000 }, 'concurrency'],
    [{ temperature: 3 }, 'temperature'],
    [{ maxTokens: 0 }, 'maxTokens'],
    [{ topP: 0 }, 'topP'],
    [{ model: '' }, 'model'],
  ] as [Partial<StartRunCommand>, string][])('rejects %j naming %s, storing nothing', async (patch, field) => {
    const { useCase, created } = setup();
    const err = await rejection(useCase.execute({ ...base, ...patch }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.field).toBe(field);
    expect(created).toHaveLength(0);
  });

  it('names the known models and benchmarks when one is unknown', async () => {
    const { useCase, created } = setup();
    const model = await rejection(useCase.execute({ ...base, model: 'gpt-17' }));
    expect(model).toMatchObject({ code: 'MODEL_NOT_FOUND', field: 'model' });
    expect(model.message).toContain('sim:oracle');
    const benchmark = await rejection(useCase.execute({ ...base, benchmark: 'mmlu-pro' }));
    expect(benchmark).toMatchObject({ code: 'BENCHMARK_NOT_FOUND', field: 'benchmark' });
    expect(benchmark.message).toContain('gsm8k@1.0.0');
    expect(created).toHaveLength(0);
  });

  it('says which file is missing when the data cannot be found offline', async () => {
    const offline = new StartRunUseCase(
      { ensureTeam: async () => 't' } as unknown as RunStore,
      new BenchmarkCatalog({ datasetsDir: join(datasets, 'nowhere'), online: false }),
      { has: async () => true, names: async () => [] },
      {} as SampleQueue,
      createLogger('test', 'silent'),
      { platformVersion: '1', defaultConcurrency: 1 },
    );
    const err = await rejection(offline.execute(base));
    expect(err.code).toBe('DATASET_UNAVAILABLE');
    expect(err.message).toContain('gsm8k/test.jsonl');
  });

  it('keeps the stored run when queueing fails (the reconciler queues its pending samples)', async () => {
    const { useCase, created } = setup({ failQueue: true });
    const run = await useCase.execute({ ...base, limit: 2 });
    expect(run.id).toBe('run-1');
    expect(created).toHaveLength(1);
  });
});
