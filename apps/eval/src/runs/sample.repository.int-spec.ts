import { sqlPoolOf, type PrismaClient } from '@lemur/shared-database';
import { describe, expect, it } from 'vitest';
import { listedSamples, useTestRepositories } from './repositories.test-fixture';
import type { RunOfTeam } from './run-store';
import type { RunRepository } from './run.repository';
import { samplePageJsonQuery, type SampleRepository } from './sample.repository';
import type { RunSpec, SampleResult } from './run.types';

let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;
useTestRepositories((r) => ({ prisma, runs, samples } = r));

const spec: RunSpec = {
  benchmarkRef: 'gsm8k@1',
  datasetFile: 'gsm8k/test.jsonl',
  datasetSha256: 'abc',
  datasetSource: 'openai/grade-school-math',
  promptTemplateHash: 'def',
  metric: 'accuracy',
  sampling: { maxTokens: 64, temperature: 0, topP: 1, stop: [] },
  platformVersion: '0.1.0',
  items: 4,
};

function result(overrides: Partial<SampleResult> = {}): SampleResult {
  return {
    status: 'SCORED',
    prompt: 'Q?',
    completion: '42',
    score: 1,
    passed: true,
    scoreDetail: { expected: '42' },
    transcript: [{ role: 'assistant', content: '42', tokens: 1, latencyMs: 3 }],
    promptTokens: 10,
    completionTokens: 1,
    latencyMs: 3.4,
    error: null,
    ...overrides,
  };
}

async function createRun(items: number, n: number): Promise<{ run: RunOfTeam; sampleIds: string[] }> {
  const teamId = await runs.ensureTeam('samples');
  const list = [];
  for (let itemIndex = 0; itemIndex < items; itemIndex++) {
    for (let sampleIndex = 0; sampleIndex < n; sampleIndex++) list.push({ itemId: `gsm8k/${itemIndex}`, itemIndex, sampleIndex });
  }
  const { run, sampleIds } = await runs.createWithSamples({
    teamId,
    modelName: 'lemur-70b-chat',
    benchmark: 'gsm8k',
    benchmarkVersion: '1',
    config: { limit: items, samplesPerItem: n, concurrency: 2, chat: true },
    spec,
    samples: list,
  });
  return { run: { id: run.id, teamId }, sampleIds };
}

describe('SampleRepository', () => {
  it('records a result exactly once when two workers race on the same sample', async () => {
    const { run, sampleIds } = await createRun(1, 1);
    const id = sampleIds[0] ?? '';
    const outcomes = await Promise.all([
      samples.recordResult(id, result({ completion: 'first' })),
      samples.recordResult(id, result({ completion: 'second', score: 0, passed: false })),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const [stored] = (await listedSamples(samples, run, { limit: 10 })).items;
    expect(stored?.completion).toBe(outcomes[0] ? 'first' : 'second');
    expect(await samples.recordResult(id, result())).toBe(false);
  });

  it('stores output holding NUL characters (a command that wrote binary), with U+FFFD in their place', async () => {
    const { run, sampleIds } = await createRun(1, 1);
    const binary = '\u001f\u008b\b\u0000\u0000\u0000\u0000\u0000\u0000\u0003';
    const stored = await samples.recordResult(
      sampleIds[0] ?? '',
      result({ completion: `gzip${binary}`, transcript: [{ role: 'observation', content: binary }], scoreDetail: { reason: `diff\u0000`, [`k\u0000`]: 1 } }),
    );
    expect(stored).toBe(true);
    const [row] = (await listedSamples(samples, run, { limit: 1 })).items;
    expect(row?.completion).toBe('gzip\u001f\u008b\b\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\u0003');
    const view = await samples.findAt(run.id, 0, 0);
    expect(view?.transcript).toEqual([{ role: 'observation', content: '\u001f\u008b\b\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\u0003' }]);
    expect(view?.scoreDetail).toEqual({ reason: 'diff\uFFFD', 'k\uFFFD': 1 });
  });

  it('keeps an errored sample unscored (null), never a silent 0', async () => {
    const { run, sampleIds } = await createRun(1, 1);
    await samples.recordResult(sampleIds[0] ?? '', result({ status: 'ERRORED', score: null, passed: null, error: 'timeout' }));
    const [stored] = (await listedSamples(samples, run, { limit: 1 })).items;
    expect(stored).toMatchObject({ status: 'errored', score: null, passed: null, error: 'timeout', latencyMs: 3 });
    expect(await samples.scoredRows(run.id)).toEqual([
      { itemIndex: 0, itemGroup: null, score: null, passed: null, promptTokens: 10, completionTokens: 1 },
    ]);
  });

  it('counts attempts while pending and refuses to claim a finished sample', async () => {
    const { sampleIds } = await createRun(1, 1);
    const id = sampleIds[0] ?? '';
    expect((await samples.claim(id))?.attempts).toBe(1);
    expect((await samples.claim(id))?.attempts).toBe(2);
    await samples.recordResult(id, result());
    expect(await samples.claim(id)).toBeNull();
  });

  it('pages samples in (item, sample) order with a keyset cursor and a status filter', async () => {
    const { run, sampleIds } = await createRun(3, 2);
    for (const id of sampleIds.filter((_, i) => i % 2 === 0)) await samples.recordResult(id, result());

    const all: [number, number][] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listedSamples(samples, run, { limit: 4, ...(cursor ? { cursor } : {}) });
      all.push(...page.items.map((s): [number, number] => [s.itemIndex, s.sampleIndex]));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(all).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]);
    const otherTeam = await runs.ensureTeam('samples-other');
    expect(await samples.pageJson({ id: run.id, teamId: otherTeam }, { limit: 4 })).toStrictEqual({ items: [], nextCursor: null });

    const pending = await listedSamples(samples, run, { status: 'PENDING', limit: 2 });
    expect(pending.items.every((s) => s.status === 'pending')).toBe(true);
    const rest = await listedSamples(samples, run, { status: 'PENDING', limit: 2, cursor: pending.nextCursor ?? '' });
    expect([...pending.items, ...rest.items]).toHaveLength(3);
    expect(rest.nextCursor).toBeNull();

    expect(await samples.countsByStatus(run.id)).toEqual({ total: 6, pending: 3, scored: 3, errored: 0, cancelled: 0 });
    expect(await samples.hasPending(run.id)).toBe(true);
    expect((await samples.pendingIds(run.id)).sort()).toEqual(sampleIds.filter((_, i) => i % 2 === 1).sort());
  });

  it('plans the page statement once per connection, however deep the page, on a large run', async () => {
    // Large enough that Postgres costs a generic plan of `LIMIT $n` alone (a tenth of the run) above a fresh plan.
    const { run } = await createRun(0, 1);
    const client = await sqlPoolOf(prisma).connect();
    try {
      await client.query(
        `INSERT INTO sample (id, run_id, item_id, item_index, sample_index) SELECT gen_random_uuid(), $1, 'gsm8k/' || g, g, 0 FROM generate_series(0, 19999) g`,
        [run.id],
      );
      await client.query('ANALYZE sample');
      const at = (item: number) => Buffer.from(`${item}:0`).toString('base64url');
      let name = '';
      for (let i = 0; i < 10; i++) {
        const statement = samplePageJsonQuery(run, { limit: 100, cursor: at(i * 1_900) });
        name = statement.name;
        const { rows } = await client.query<{ itemIndex: number }>(statement);
        expect(rows.map((r) => r.itemIndex)).toStrictEqual(Array.from({ length: 101 }, (_, k) => i * 1_900 + 1 + k));
      }
      const { rows } = await client.query<{ generic: number }>('SELECT generic_plans::int AS generic FROM pg_prepared_statements WHERE name = $1', [name]);
      expect(rows[0]?.generic).toBeGreaterThan(0);
    } finally {
      client.release();
    }
  });

  it('lists samples with their stored JSON columns, filtered by verdict', async () => {
    const { run, sampleIds } = await createRun(3, 1);
    await samples.recordResult(sampleIds[0]!, result({ scoreDetail: { expected: '42', got: 'forty-two', n: 1.5 } }));
    await samples.recordResult(sampleIds[1]!, result({ score: 0, passed: false, transcript: null }));
    const page = await listedSamples(samples, run, { limit: 10 });
    expect(page.items.map((s) => [s.itemIndex, s.status, s.passed])).toEqual([[0, 'scored', true], [1, 'scored', false], [2, 'pending', null]]);
    const [first, second, pending] = page.items;
    expect(first?.detail.score).toEqual({ expected: '42', got: 'forty-two', n: 1.5 });
    expect(first?.detail.transcript).toEqual(result().transcript);
    expect(first).toMatchObject({ id: sampleIds[0], itemId: 'gsm8k/0', score: 1, latencyMs: 3, promptTokens: 10, error: null, detail: { attempts: 0 } });
    expect(second?.detail.transcript).toBeNull();
    expect(pending).toMatchObject({ detail: { score: null, transcript: null, attempts: 0 }, prompt: '', score: null });
    const failed = await listedSamples(samples, run, { passed: false, limit: 10 });
    expect(failed.items.map((s) => s.id)).toEqual([sampleIds[1]]);
  });
});
