// The listings Postgres writes (listing-json.sql.ts) against what the reference (listing-json.reference.test-fixture.ts)
// writes field by field from the same stored rows (the same statements, every column), byte for byte: runs finished, failed, in progress (live summary), with links and a regression check; samples scored,
// errored, pending, with NULs (stored as U+FFFD), control characters, unicode, and scores of every magnitude.
import { postgresSafe, sqlPoolOf, type PrismaClient } from '@lemur/shared-database';
import { describe, expect, it } from 'vitest';
import { liveRunOf, runJsonOf } from './listing-json.mapper';
import { runListingJson, runRecordOf, runRowsOfPage, sampleListingJson, sampleRowsOfPage } from './listing-json.reference.test-fixture';
import { testRunSpec, useTestRepositories } from './repositories.test-fixture';
import type { RunRepository } from './run.repository';
import type { SampleRepository } from './sample.repository';

let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;
useTestRepositories((r) => ({ prisma, runs, samples } = r));

// A stop string that needs escaping in JSON.
const spec = testRunSpec({ sampling: { maxTokens: 64, temperature: 0.2, topP: 0.95, stop: ['\ndef', '"\u2028'] }, items: 3 });

const TEXTS = ['plain', '', 'quote " backslash \\ slash /', 'tab\tnew\nline\r\b\f', '\u0001\u001f\u007f\u0080', 'emoji \u{1F600} \u2028\u2029 é 中文', 'nul\u0000here'];

// Doubles where Number#toString and Postgres's float8 output part ways, and random ones of every magnitude.
const SCORES = [
  0, -0, 1, -1, 0.5, 1 / 3, 0.1 + 0.2, 1e-4, 9.9e-5, 1e-5, 1.5e-5, 1.5e-6, 1e-6, 1e-7, -2.5e-7, 123456789012345.6, 1e14, 1e15, 1.2345e15,
  12345678901234568, 1e20, 1.5e20, 1e21, 1.2345e21, 1e100, -1e-100, 5e-324, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON,
  Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
  ...Array.from({ length: 300 }, (_, i) => (i % 2 ? -1 : 1) * Math.random() * 10 ** (((i * 37) % 640) - 325)),
];

async function createRun(team: string, modelName: string, items: number) {
  const teamId = await runs.ensureTeam(team);
  return runs.createWithSamples({
    teamId,
    // Run creation stores names as given (the gateway validated them); recordResult cleans outputs itself.
    modelName: postgresSafe(modelName),
    benchmark: 'humaneval',
    benchmarkVersion: '1',
    config: { limit: items, samplesPerItem: 1, concurrency: 2, chat: true, temperature: 0.2, seed: 7, feedbackModel: 'sim:judge' },
    spec,
    samples: Array.from({ length: items }, (_, i) => ({ itemId: postgresSafe(`HumanEval/${i} ${TEXTS[i % TEXTS.length]}`), itemIndex: i, sampleIndex: 0 })),
  });
}

describe('the listings Postgres writes', () => {
  it('writes every sample as sampleListingJson does, on every page', async () => {
    const { run, sampleIds } = await createRun('sql-samples', 'lemur-70b', SCORES.length);
    for (const [i, id] of sampleIds.entries()) {
      if (i % 11 === 10) continue; // left pending
      const text = TEXTS[i % TEXTS.length]!;
      await samples.recordResult(id, {
        status: i % 5 === 4 ? 'ERRORED' : 'SCORED',
        prompt: i % 7 === 3 ? null : `prompt ${text}`,
        completion: i % 9 === 2 ? null : text,
        score: 0,
        passed: i % 3 === 0 ? null : i % 2 === 0,
        scoreDetail: i % 4 === 0 ? null : { reason: text, n: 0.1 + 0.2, tiny: 1e-7, list: [1, 'a'] },
        transcript: i % 6 === 0 ? null : [{ role: 'model', content: text }],
        promptTokens: i % 8 === 0 ? null : i,
        completionTokens: i,
        latencyMs: i * 1.5,
        error: i % 5 === 4 ? `failed: ${text}` : i % 10 === 1 ? '' : null,
      });
    }
    await sqlPoolOf(prisma).query(
      `UPDATE sample SET score = s.score FROM unnest($2::float8[]) WITH ORDINALITY AS s(score, n) WHERE run_id = $1 AND item_index = s.n - 1 AND s.n % 13 <> 0`,
      [run.id, SCORES.map(String)],
    );

    const all = (await samples.pageJson(run, { limit: 500 })).items.join('\n');
    const written = ['"score":1e-7', '"score":0.000015', '"score":100000000000000000000', '"score":5e-324', '"score":1e+100', '"score":null', '\\u0001', '\uFFFD'];
    expect(written.filter((w) => !all.includes(w))).toStrictEqual([]);
    for (const [status, passed] of [[undefined, undefined], ['SCORED', false], [undefined, true]] as const) {
      const opts = { limit: 37, ...(status ? { status } : {}), ...(passed !== undefined ? { passed } : {}) };
      let cursor: string | undefined;
      let pages = 0;
      do {
        const rows = await sampleRowsOfPage(sqlPoolOf(prisma), run, { ...opts, ...(cursor ? { cursor } : {}) });
        const json = await samples.pageJson(run, { ...opts, ...(cursor ? { cursor } : {}) });
        expect(json.items).toStrictEqual(rows.items.map(sampleListingJson));
        expect(json.nextCursor !== null).toBe(rows.more);
        cursor = json.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBeGreaterThan(1);
    }
  });

  it('writes every run as runListingJson does, finished, failed or in progress', async () => {
    const team = 'sql "runs" \u{1F600}';
    const made = [];
    for (let i = 0; i < 7; i++) made.push((await createRun(team, `model ${TEXTS[i]}`, 1)).run);
    const [queued, running, succeeded, failed, cancelled, linked, noSummary] = made.map((r) => r.id) as [string, string, string, string, string, string, string];
    await runs.markRunning(running);
    await runs.markRunning(succeeded);
    await runs.finish(succeeded, 'SUCCEEDED', { metrics: [{ name: 'pass@1', value: 1 / 3, ci: [1e-7, 0.9], n: 3, method: 'wilson' }], note: TEXTS[5] });
    await runs.finish(failed, 'FAILED', { counts: { total: 1 } }, `all 1 samples errored: ${TEXTS[4]}`);
    await runs.cancel(cancelled);
    await runs.finish(noSummary, 'SUCCEEDED', null, '');
    const schedule = await prisma.schedule.create({
      data: { teamId: made[0]!.teamId, name: 'nightly', cron: '0 3 * * *', timezone: 'UTC', modelName: 'm', benchmarks: ['humaneval'], config: {}, baseline: 'previous', nextRunAt: new Date() },
    });
    await prisma.run.update({
      where: { id: linked },
      data: {
        scheduleId: schedule.id,
        sourceRunId: succeeded,
        regression: { baselineRunId: succeeded, regressed: true, delta: -0.25, ci: [-0.4, -1e-7], pValue: 2.5e-9, significant: true, comparable: true, regressedItems: 3, note: TEXTS[5], checkedAt: '2026-12-03T11:00:00.000Z' },
      },
    });
    await prisma.run.update({ where: { id: succeeded }, data: { regression: { regressed: false, note: 'no baseline yet' } } });

    const teamId = made[0]!.teamId;
    const liveSummary = '{"counts":{"total":1},"live":true}';
    let cursor: string | undefined;
    let listed = 0;
    do {
      const rows = await runRowsOfPage(sqlPoolOf(prisma), teamId, { limit: 3, ...(cursor ? { cursor } : {}) });
      const json = await runs.listJsonForTeam(teamId, { limit: 3, ...(cursor ? { cursor } : {}) });
      expect(json.nextCursor !== null).toBe(rows.more);
      expect(json.items.map((r) => r.id)).toStrictEqual(rows.items.map((r) => r.id));
      for (const [i, row] of rows.items.entries()) {
        const jsonRow = json.items[i]!;
        const stored = (row.status === 'SUCCEEDED' || row.status === 'FAILED') && row.summaryJson !== null;
        expect(jsonRow.summaryJson).toBe(stored ? row.summaryJson : null);
        const summary = stored ? row.summaryJson : liveSummary;
        expect(runJsonOf(jsonRow, JSON.stringify(team), jsonRow.summaryJson ?? liveSummary)).toBe(runListingJson(row, team, summary));
        if (!stored) {
          const { id, config, spec: s, startedAt, finishedAt } = runRecordOf(row);
          expect(liveRunOf(jsonRow)).toStrictEqual({ id, config, spec: s, startedAt, finishedAt });
        }
      }
      listed += rows.items.length;
      cursor = json.nextCursor ?? undefined;
    } while (cursor);
    expect(listed).toBe(made.length);
    expect([queued, running, cancelled].length).toBe(3);
  });
});
