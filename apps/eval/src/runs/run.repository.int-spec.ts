import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewRun } from './run-store';
import { RunRepository } from './run.repository';
import { SampleRepository } from './sample.repository';
import type { RunSpec } from './run.types';

let db: TestDatabase;
let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;

const spec: RunSpec = {
  benchmarkRef: 'humaneval@1',
  datasetFile: 'humaneval/HumanEval.jsonl.gz',
  datasetSha256: 'abc',
  datasetSource: 'openai/human-eval',
  promptTemplateHash: 'def',
  metric: 'pass@k',
  sampling: { maxTokens: 64, temperature: 0.2, topP: 0.95, stop: ['\ndef'] },
  platformVersion: '0.1.0',
  items: 2,
};

function newRun(teamId: string, items = 2, n = 2): NewRun {
  const samplesToCreate = [];
  for (let itemIndex = 0; itemIndex < items; itemIndex++) {
    for (let sampleIndex = 0; sampleIndex < n; sampleIndex++) {
      samplesToCreate.push({ itemId: `HumanEval/${itemIndex}`, itemIndex, sampleIndex });
    }
  }
  return {
    teamId,
    modelName: 'lemur-70b',
    benchmark: 'humaneval',
    benchmarkVersion: '1',
    config: { limit: items, samplesPerItem: n, concurrency: 4, chat: false },
    spec,
    samples: samplesToCreate,
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  runs = new RunRepository(prisma);
  samples = new SampleRepository(prisma);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('RunRepository', () => {
  it('stores a run with all its samples and its resolved spec', async () => {
    const teamId = await runs.ensureTeam('create');
    const { run, sampleIds } = await runs.createWithSamples(newRun(teamId, 3, 2));
    expect(sampleIds).toHaveLength(6);
    expect(run).toMatchObject({ status: 'QUEUED', totalSamples: 6, spec, startedAt: null });
    expect(await runs.findForTeam(teamId, run.id)).toMatchObject({ id: run.id, spec });
    expect(await samples.countsByStatus(run.id)).toEqual({ total: 6, pending: 6, scored: 0, errored: 0, cancelled: 0 });
  });

  it('stores nothing when one sample cannot be inserted', async () => {
    const teamId = await runs.ensureTeam('atomic');
    const broken = newRun(teamId, 2, 1);
    broken.samples.push({ itemId: 'dup', itemIndex: 0, sampleIndex: 0 });
    await expect(runs.createWithSamples(broken)).rejects.toThrow();
    expect(await prisma.run.count({ where: { teamId } })).toBe(0);
    expect(await prisma.sample.count({ where: { run: { teamId } } })).toBe(0);
  });

  it('hides runs of other teams', async () => {
    const owner = await runs.ensureTeam('owner');
    const other = await runs.ensureTeam('other');
    const { run } = await runs.createWithSamples(newRun(owner));
    expect(await runs.findForTeam(other, run.id)).toBeNull();
    expect((await runs.listForTeam(other, { limit: 10 })).items).toEqual([]);
  });

  it('pages a team\'s runs newest first with a keyset cursor, each run exactly once', async () => {
    const teamId = await runs.ensureTeam('paging');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await runs.createWithSamples(newRun(teamId, 1, 1))).run.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await runs.listForTeam(teamId, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((r) => r.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('moves a run through running to one final status only once', async () => {
    const teamId = await runs.ensureTeam('lifecycle');
    const { run } = await runs.createWithSamples(newRun(teamId));
    await runs.markRunning(run.id);
    expect((await runs.findById(run.id))?.status).toBe('RUNNING');
    expect(await runs.finish(run.id, 'SUCCEEDED', { passAt1: 0.5 })).toBe(true);
    expect(await runs.finish(run.id, 'FAILED', null, 'late')).toBe(false);
    expect(await runs.findById(run.id)).toMatchObject({ status: 'SUCCEEDED', summary: { passAt1: 0.5 }, error: null });
    expect(await runs.cancel(run.id)).toBe(false);
  });

  it('cancels a run and its pending samples but keeps finished ones', async () => {
    const teamId = await runs.ensureTeam('cancel');
    const { run, sampleIds } = await runs.createWithSamples(newRun(teamId, 2, 1));
    await samples.recordResult(sampleIds[0] ?? '', {
      status: 'SCORED',
      prompt: 'p',
      completion: 'c',
      score: 1,
      passed: true,
      scoreDetail: null,
      transcript: null,
      promptTokens: 1,
      completionTokens: 1,
      latencyMs: 5,
      error: null,
    });
    expect(await runs.cancel(run.id)).toBe(true);
    expect((await runs.findById(run.id))?.status).toBe('CANCELLED');
    expect(await samples.countsByStatus(run.id)).toEqual({ total: 2, pending: 0, scored: 1, errored: 0, cancelled: 1 });
    expect((await runs.listActive()).map((r) => r.id)).not.toContain(run.id);
  });
});
