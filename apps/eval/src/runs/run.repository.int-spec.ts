import { sqlPoolOf, type PrismaClient } from '@lemur/shared-database';
import { describe, expect, it } from 'vitest';
import { runRecordOf, runRowsOfPage } from './listing-json.reference.test-fixture';
import type { NewRun } from './run-store';
import { testRunSpec, useTestRepositories } from './repositories.test-fixture';
import type { RunRepository } from './run.repository';
import type { SampleRepository } from './sample.repository';

let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;
useTestRepositories((r) => ({ prisma, runs, samples } = r));

const spec = testRunSpec();

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

  it('creates a new team once when its first requests arrive together', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => runs.ensureTeam('arrives-together')));
    expect(new Set(ids).size).toBe(1);
    expect(await runs.ensureTeam('arrives-together')).toBe(ids[0]);
  });

  it('hides runs of other teams', async () => {
    const owner = await runs.ensureTeam('owner');
    const other = await runs.ensureTeam('other');
    const { run } = await runs.createWithSamples(newRun(owner));
    expect(await runs.findForTeam(other, run.id)).toBeNull();
    expect((await runs.listForTeam(other, { limit: 10 })).items).toEqual([]);
  });

  it('lists the active runs with their team\'s name, the team the workers\' calls carry', async () => {
    const [red, blue] = [await runs.ensureTeam('active-red'), await runs.ensureTeam('active-blue')];
    const [a, b] = [(await runs.createWithSamples(newRun(red))).run, (await runs.createWithSamples(newRun(blue))).run];
    const active = await runs.listActive();
    expect(active.find((r) => r.id === a.id)).toMatchObject({ teamId: red, teamName: 'active-red' });
    expect(active.find((r) => r.id === b.id)).toMatchObject({ teamId: blue, teamName: 'active-blue' });
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

  it('reads a team\'s run and its listing (SQL) exactly as Prisma maps the row, every column included', async () => {
    const teamId = await runs.ensureTeam('sql-read');
    const { run: source } = await runs.createWithSamples(newRun(teamId, 1, 1));
    const { run } = await runs.createWithSamples(newRun(teamId));
    await runs.markRunning(run.id);
    await runs.finish(run.id, 'FAILED', { metrics: [], counts: { total: 4 }, elapsedSeconds: 1.5 }, 'sandbox lost');
    await prisma.run.update({
      where: { id: run.id },
      data: { sourceRunId: source.id, regression: { regressed: true, delta: -0.25, ci: [-0.4, -0.1], note: '' } },
    });
    const viaPrisma = await runs.findById(run.id);
    expect(viaPrisma?.sourceRunId).toBe(source.id);
    expect(await runs.findForTeam(teamId, run.id)).toStrictEqual(viaPrisma);
    const listed = await runs.listForTeam(teamId, { limit: 1 });
    expect(listed.items[0]).toStrictEqual(viaPrisma);
    const rest = await runs.listForTeam(teamId, { limit: 5, cursor: listed.nextCursor ?? '' });
    expect(rest.items).toStrictEqual([await runs.findById(source.id)]);
    expect(rest.nextCursor).toBeNull();
  });

  it('reads the stored rows of a page for the listing reference as listForTeam reads them, JSON columns as the stored text', async () => {
    const teamId = await runs.ensureTeam('sql-rows');
    const { run: first } = await runs.createWithSamples(newRun(teamId, 1, 1));
    const { run } = await runs.createWithSamples(newRun(teamId));
    await runs.markRunning(run.id);
    await runs.finish(run.id, 'SUCCEEDED', { metrics: [{ name: 'pass@1', value: 0.5, ci: [0.1, 0.9], n: 2, method: 'wilson' }], counts: { total: 4 } });
    await prisma.run.update({ where: { id: run.id }, data: { regression: { regressed: false, delta: 0.1, ci: [-0.1, 0.3], note: '' } } });
    const records = await runs.listForTeam(teamId, { limit: 1 });
    const rows = await runRowsOfPage(sqlPoolOf(prisma), teamId, { limit: 1 });
    expect(rows.more).toBe(true);
    const [row] = rows.items;
    expect(typeof row?.summaryJson).toBe('string');
    expect(row && runRecordOf(row)).toStrictEqual(records.items[0]);
    const rest = await runRowsOfPage(sqlPoolOf(prisma), teamId, { limit: 5, cursor: records.nextCursor ?? '' });
    expect(rest.items.map((r) => [r.id, r.summaryJson, r.regressionJson])).toEqual([[first.id, null, null]]);
    expect(rest.more).toBe(false);
  });

  it('filters a team\'s runs by model, benchmark and status, across pages', async () => {
    const teamId = await runs.ensureTeam('filters');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await runs.createWithSamples({ ...newRun(teamId, 1, 1), modelName: i % 2 ? 'a' : 'b' })).run.id);
    await runs.markRunning(ids[1]!);
    const ofA = await runs.listForTeam(teamId, { limit: 1, filter: { modelName: 'a' } });
    const more = await runs.listForTeam(teamId, { limit: 1, cursor: ofA.nextCursor ?? '', filter: { modelName: 'a' } });
    expect([...ofA.items, ...more.items].map((r) => r.id)).toEqual([ids[3], ids[1]]);
    expect(more.nextCursor).toBeNull();
    const running = await runs.listForTeam(teamId, { limit: 10, filter: { modelName: 'a', benchmark: 'humaneval', status: 'RUNNING' } });
    expect(running.items.map((r) => r.id)).toEqual([ids[1]]);
    expect((await runs.listForTeam(teamId, { limit: 10, filter: { benchmark: 'mbpp' } })).items).toEqual([]);
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
