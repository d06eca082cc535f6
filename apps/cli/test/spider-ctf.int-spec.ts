import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import { parseSimModel } from '../src/models/sim-models';
import { accuracy, waitFinal } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

interface StoredSample {
  item_id: string;
  status: string;
  score: number | null;
  error: string | null;
  score_detail: { reason?: string; terminateReason?: string; scoringRules?: string; modelTurns?: number } | null;
  transcript: { role: string; kind?: string; code?: string; observation?: string; content?: string }[] | null;
}

type FullRunJson = RunJson & { spec?: Record<string, unknown> };

describe('spider and intercode-ctf through the real local platform (simulator, sandbox, eval workers)', () => {
  let t: TestPlatform;
  let client: GatewayClient;
  let sql: pg.Client;
  let rulesDir: string;
  let scripted: string;

  const samplesOf = async (runId: string): Promise<StoredSample[]> =>
    (await sql.query<StoredSample>('SELECT item_id, status, score, error, score_detail, transcript FROM sample WHERE run_id = $1 ORDER BY item_index', [runId])).rows;

  beforeAll(async () => {
    // The simulator reads the rules when it starts, so they are written before the platform (and its home) exists.
    rulesDir = mkdtempSync(join(tmpdir(), 'lemur-spider-ctf-rules-'));
    const rules = join(rulesDir, 'ctf-rules.jsonl');
    writeFileSync(
      rules,
      [
        JSON.stringify({ match: 'Output: l3arn_th3_r0p35', completion: 'submit picoCTF{l3arn_th3_r0p35}' }),
        JSON.stringify({ match: 'Network is unreachable', completion: 'echo bDNhcm5fdGgzX3IwcDM1 | base64 -d' }),
        // TEST-NET-1 (192.0.2.0/24) is never routed: a sandbox with a network would time out, one without says unreachable.
        JSON.stringify({ match: 'Task: What does this bDNhcm5fdGgzX3IwcDM1 mean?', completion: `python3 -c "import socket; socket.create_connection(('192.0.2.1', 80), timeout=5)"` }),
      ].join('\n'),
    );
    scripted = `sim:scripted=${rules}`;
    t = await startTestPlatform({ name: 'spider-ctf', simFast: true, extraSimModels: [parseSimModel(scripted, rulesDir)!] });
    ({ client, sql } = t);
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    if (rulesDir) rmSync(rulesDir, { recursive: true, force: true });
  }, 60_000);

  it('spider: sim:oracle answers the gold SQL and scores 1 on SQLite in the sandbox, sim:wrong scores 0', async () => {
    const [oracle, wrong] = await Promise.all([
      client.createRun({ model: 'sim:oracle', benchmark: 'spider', limit: 30, concurrency: 4 }),
      client.createRun({ model: 'sim:wrong', benchmark: 'spider', limit: 10, concurrency: 2, chat: true }),
    ]);
    const [o, w] = await Promise.all([waitFinal<FullRunJson>(client, oracle.id, 300_000), waitFinal<FullRunJson>(client, wrong.id, 300_000)]);
    const notSolved = (await samplesOf(o.id)).filter((s) => s.score !== 1).map((s) => `${s.item_id}: ${s.status} ${s.error ?? ''} ${s.score_detail?.reason ?? ''}`);
    expect(notSolved).toEqual([]);
    expect(o.summary?.counts).toMatchObject({ total: 30, scored: 30, errored: 0 });
    expect(accuracy(o)).toBe(1);
    // Reported with its 95% interval over the items (all 30 right: Wilson's lower bound is below 1).
    const metric = o.summary!.metrics.find((m) => m.name === 'accuracy') as unknown as { n: number; ci: [number, number] };
    expect(metric.n).toBe(30);
    expect(metric.ci[0]).toBeLessThan(1);
    expect(w.summary?.counts).toMatchObject({ total: 10, scored: 10, errored: 0 });
    expect(accuracy(w)).toBe(0);
    expect((await samplesOf(w.id))[0]!.score_detail?.reason).toMatch(/^1 rows differ from the gold's \d+/);
  }, 360_000);

  it('intercode-ctf: sim:oracle submits the gold flag on the 7 runnable tasks; the other 93 end ERRORED saying what they need', async () => {
    const [oracle, wrong] = await Promise.all([
      client.createRun({ model: 'sim:oracle', benchmark: 'intercode-ctf', limit: 100, concurrency: 4 }),
      client.createRun({ model: 'sim:wrong', benchmark: 'intercode-ctf', limit: 20, concurrency: 2 }),
    ]);
    const [o, w] = await Promise.all([waitFinal<FullRunJson>(client, oracle.id, 300_000), waitFinal<FullRunJson>(client, wrong.id, 300_000)]);
    expect(o.summary?.counts).toMatchObject({ total: 100, scored: 7, errored: 93 });
    expect(accuracy(o)).toBe(1);
    expect(o.spec).toMatchObject({ agent: { protocol: 'intercode', scoringRules: 'intercode-ctf-flag', maxSteps: 10 } });
    const samples = await samplesOf(o.id);
    expect(samples.filter((s) => s.status === 'SCORED').map((s) => s.item_id)).toEqual(['ic-ctf-5', 'ic-ctf-17', 'ic-ctf-18', 'ic-ctf-19', 'ic-ctf-22', 'ic-ctf-40', 'ic-ctf-90']);
    const solved = samples.find((s) => s.item_id === 'ic-ctf-22')!;
    expect(solved.score_detail).toMatchObject({ terminateReason: 'reward_1', modelTurns: 1 });
    expect(samples.find((s) => s.item_id === 'ic-ctf-0')!.error).toContain(
      'InterCode-CTF task 0 cannot run here: its files are missing: intercode/ctf/task_assets/0/ (beside ic_ctf.json in the datasets folder) is not there; they are published at https://github.com/princeton-nlp/intercode/tree/',
    );
    expect(samples.find((s) => s.item_id === 'ic-ctf-9')!.error).toContain('it needs the picoCTF server mercury.picoctf.net:43239, and the sandbox has no network but loopback');

    // Tasks 5, 17, 18 and 19 are among the first 20: the wrong flag is refused each turn until the 10 turns are used.
    expect(w.summary?.counts).toMatchObject({ total: 20, scored: 4, errored: 16 });
    expect(accuracy(w)).toBe(0);
    const wrongSample = (await samplesOf(w.id)).find((s) => s.status === 'SCORED')!;
    expect(wrongSample.score_detail).toMatchObject({ terminateReason: 'max_turns', modelTurns: 10 });
    expect(wrongSample.transcript!.filter((e) => e.role === 'environment').map((e) => e.content)).toContain('Output: Submitted flag is incorrect. Keep trying!');
  }, 360_000);

  it('intercode-ctf: a scripted model finds no network in its session, decodes the flag with bash and submits it', async () => {
    const created = await client.createRun({ model: scripted, benchmark: 'intercode-ctf', limit: 23, concurrency: 1 });
    const run = await waitFinal<FullRunJson>(client, created.id, 300_000);
    const sample = (await samplesOf(run.id)).find((s) => s.item_id === 'ic-ctf-22')!;
    expect(sample).toMatchObject({ status: 'SCORED', score: 1 });
    const executed = sample.transcript!.filter((e) => e.kind === 'execute');
    expect(executed.map((e) => e.code)).toEqual([`python3 -c "import socket; socket.create_connection(('192.0.2.1', 80), timeout=5)"`, 'echo bDNhcm5fdGgzX3IwcDM1 | base64 -d']);
    expect(executed[0]!.observation).toContain('Network is unreachable');
    expect(executed[1]!.observation).toBe('l3arn_th3_r0p35');
  }, 360_000);
});
