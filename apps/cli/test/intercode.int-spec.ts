import { mysqlAnswers } from '@lemur/shared-database';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import { waitFinal, accuracy } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

interface StoredSample {
  item_id: string;
  status: string;
  score: number | null;
  error: string | null;
  score_detail: { reason?: string; terminateReason?: string; protocol?: string; scoringRules?: string; modelTurns?: number } | null;
  transcript: { role: string; kind?: string; solution?: string; code?: string; observation?: string; reward?: number; content?: string }[] | null;
}

type FullRunJson = RunJson & { spec?: Record<string, unknown> };

describe('InterCode episodes through the real local platform (simulator oracle, MariaDB, bash sessions, eval workers)', () => {
  let t: TestPlatform;
  let client: GatewayClient;
  let sql: pg.Client;
  let mysqlUrl: string | undefined;

  const samplesOf = async (runId: string): Promise<StoredSample[]> =>
    (await sql.query<StoredSample>('SELECT item_id, status, score, error, score_detail, transcript FROM sample WHERE run_id = $1 ORDER BY item_index', [runId])).rows;

  beforeAll(async () => {
    // No SANDBOX_MYSQL_URL: the platform starts a private MariaDB, as `lemur up` does, and the sandbox loads the Spider dump into it.
    t = await startTestPlatform({ name: 'intercode', simFast: true, mysql: true });
    mysqlUrl = t.platform.sandboxMysqlUrl;
    ({ client, sql } = t);
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
    // The private server lives only as long as the platform.
    if (mysqlUrl) expect(await mysqlAnswers(mysqlUrl)).toBe(false);
  }, 60_000);

  it('intercode-sql: sim:oracle solves each episode in one turn on MariaDB, sim:wrong uses all 10 turns and scores 0', async () => {
    expect(mysqlUrl).toMatch(/^mysql:\/\/root@127\.0\.0\.1:\d+$/);
    expect(await mysqlAnswers(mysqlUrl!)).toBe(true);
    const [oracle, wrong] = await Promise.all([
      client.createRun({ model: 'sim:oracle', benchmark: 'intercode-sql', limit: 15, concurrency: 4 }),
      client.createRun({ model: 'sim:wrong', benchmark: 'intercode-sql', limit: 2, concurrency: 2 }),
    ]);
    const [o, w] = await Promise.all([waitFinal<FullRunJson>(client, oracle.id), waitFinal<FullRunJson>(client, wrong.id)]);
    expect(o.summary?.counts).toMatchObject({ total: 15, scored: 15, errored: 0 });
    expect(accuracy(o)).toBe(1);
    expect(o.spec).toMatchObject({ agent: { protocol: 'intercode', scoringRules: 'intercode-sql-reward', maxSteps: 10 } });
    const [first] = await samplesOf(o.id);
    expect(first!.score_detail).toMatchObject({ terminateReason: 'reward_1', protocol: 'intercode', modelTurns: 1 });
    const proposal = first!.transcript!.find((e) => e.kind === 'propose');
    expect(proposal).toMatchObject({ reward: 1 });
    expect(proposal?.observation).toMatch(/^\[\(/);

    expect(w.summary?.counts).toMatchObject({ total: 2, scored: 2, errored: 0 });
    expect(accuracy(w)).toBe(0);
    const wrongSample = (await samplesOf(w.id))[0]!;
    expect(wrongSample.score_detail).toMatchObject({ terminateReason: 'max_turns', modelTurns: 10 });
    // The model was shown what its query returned and its reward, as InterCode's observation message.
    const shown = wrongSample.transcript!.find((e) => e.role === 'environment')?.content ?? '';
    expect(shown).toContain("MySQL Database Output: [('lemur-wrong-answer',)]\nReward: 0.0\nHere is the query again:");
  }, 240_000);

  it('intercode-bash: sim:oracle runs the gold in the episode shell and matches a fresh sandbox run of the gold', async () => {
    const created = await client.createRun({ model: 'sim:oracle', benchmark: 'intercode-bash', limit: 6, concurrency: 3 });
    const run = await waitFinal<FullRunJson>(client, created.id);
    const samples = await samplesOf(run.id);
    const notSolved = samples.filter((s) => s.score !== 1).map((s) => `${s.item_id}: ${s.status} ${s.error ?? ''} ${s.score_detail?.reason ?? ''}`);
    expect(notSolved).toEqual([]);
    expect(run.summary?.counts).toMatchObject({ total: 6, scored: 6, errored: 0 });
    expect(accuracy(run)).toBe(1);
    const events = samples[0]!.transcript!.map((e) => e.kind ?? e.role);
    expect(events).toEqual(['model', 'execute', 'propose', 'verdict']);
  }, 240_000);
});
