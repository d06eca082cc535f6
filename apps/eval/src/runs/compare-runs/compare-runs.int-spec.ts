import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { PlatformErrorCode } from '@lemur/shared-errors';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRepository } from '../run.repository';
import { SampleRepository } from '../sample.repository';
import type { RunSpec } from '../run.types';
import { CompareRunsUseCase } from './compare-runs.usecase';

let db: TestDatabase;
let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;
let compare: CompareRunsUseCase;

const spec: RunSpec = {
  benchmarkRef: 'gsm8k@1.0.0',
  datasetFile: 'gsm8k/test.jsonl',
  datasetSha256: 'abc',
  datasetSource: 'shared',
  promptTemplateHash: 'def',
  metric: 'accuracy',
  sampling: { maxTokens: 64, temperature: 0, topP: 1, stop: [] },
  platformVersion: '0.1.0',
  items: 40,
};

/** A finished run whose item i scores `scores[i]` (null = errored). */
async function runWith(team: string, model: string, scores: (number | null)[], overrides: Partial<RunSpec> = {}, benchmark = 'gsm8k'): Promise<string> {
  const teamId = await runs.ensureTeam(team);
  const { run, sampleIds } = await runs.createWithSamples({
    teamId,
    modelName: model,
    benchmark,
    benchmarkVersion: '1.0.0',
    config: { limit: scores.length, samplesPerItem: 1, concurrency: 2, chat: true },
    spec: { ...spec, ...overrides },
    samples: scores.map((_, i) => ({ itemId: `gsm8k/${i}`, itemIndex: i, sampleIndex: 0 })),
  });
  for (const [i, score] of scores.entries()) {
    await samples.recordResult(sampleIds[i]!, {
      status: score === null ? 'ERRORED' : 'SCORED',
      prompt: 'Q',
      completion: 'A',
      score,
      passed: score === null ? null : score === 1,
      scoreDetail: null,
      transcript: null,
      promptTokens: 1,
      completionTokens: 1,
      latencyMs: 1,
      error: score === null ? 'timeout' : null,
    });
  }
  return run.id;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  runs = new RunRepository(prisma);
  samples = new SampleRepository(prisma);
  compare = new CompareRunsUseCase(runs, samples);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('CompareRunsUseCase (real PostgreSQL)', () => {
  it('pairs the shared scored items, names the flips and what differs', async () => {
    const base = Array.from({ length: 40 }, (_, i) => (i < 20 ? 1 : 0));
    // B fixes items 20-33 and breaks item 0; item 39 errored in B, so it is not shared.
    const cand: (number | null)[] = base.map((s, i) => (i >= 20 && i < 34 ? 1 : i === 0 ? 0 : s));
    cand[39] = null;
    const a = await runWith('cmp', 'lemur-70b', base);
    const b = await runWith('cmp', 'lemur-70b-chat', cand, { sampling: { ...spec.sampling, temperature: 0.2 } });
    const c = await compare.execute({ team: 'cmp', runA: a, runB: b });
    expect(c).toMatchObject({ n: 39, onlyInA: 1, onlyInB: 0, improvedCount: 14, regressedCount: 1, comparable: true, significant: true });
    expect(c.regressedIds).toEqual(['gsm8k/0']);
    expect(c.improvedIds).toContain('gsm8k/20');
    expect(c.mcnemar).toMatchObject({ improved: 14, regressed: 1 });
    expect(c.delta).toBeCloseTo(13 / 39, 10);
    expect(c.differences.map((d) => d.field)).toEqual(['model', 'sampling']);
    expect(c.differences.every((d) => !d.breaksComparability)).toBe(true);
  });

  it('flags runs on different data as not comparable', async () => {
    const a = await runWith('cmp', 'm', [1, 0, 1]);
    const b = await runWith('cmp', 'm', [1, 1, 1], { datasetSha256: 'other' });
    const c = await compare.execute({ team: 'cmp', runA: a, runB: b });
    expect(c.comparable).toBe(false);
    expect(c.differences).toContainEqual({ field: 'datasetSha256', a: '"abc"', b: '"other"', breaksComparability: true });
  });

  it('lists other weights served under the same model name, stored and read back with each run, as a difference', async () => {
    const a = await runWith('cmp', 'lemur-70b-chat', [1, 0, 1], { modelRevision: 'main@1111111' });
    const b = await runWith('cmp', 'lemur-70b-chat', [1, 1, 1], { modelRevision: 'main@2222222' });
    const c = await compare.execute({ team: 'cmp', runA: a, runB: b });
    expect(c.comparable).toBe(true);
    expect(c.differences).toEqual([{ field: 'modelRevision', a: '"main@1111111"', b: '"main@2222222"', breaksComparability: false }]);
  });

  it('flags runs whose letters were chosen by logprobs and by generation as not comparable', async () => {
    const a = await runWith('cmp', 'm', [1, 0], { choiceScoring: { method: 'logprobs', protocol: 'next-token-logprobs', topLogprobs: 20, maxTokens: 1, fallback: 'generation' } });
    const b = await runWith('cmp', 'm', [1, 0], { choiceScoring: { method: 'generation', reason: 'the run uses the chat API (chat option)' } });
    const c = await compare.execute({ team: 'cmp', runA: a, runB: b });
    expect(c.comparable).toBe(false);
    expect(c.differences).toContainEqual({ field: 'choiceScoring', a: '"logprobs"', b: '"generation"', breaksComparability: true });
  });

  it("treats another team's run as missing and refuses different benchmarks", async () => {
    const mine = await runWith('cmp', 'm', [1]);
    const theirs = await runWith('other-team', 'm', [1]);
    const mbpp = await runWith('cmp', 'm', [1], {}, 'mbpp');
    expect(await codeOf(compare.execute({ team: 'cmp', runA: mine, runB: theirs }))).toBe(PlatformErrorCode.RUN_NOT_FOUND);
    expect(await codeOf(compare.execute({ team: 'cmp', runA: mine, runB: mbpp }))).toBe(PlatformErrorCode.INVALID_ARGUMENT);
  });
});
