import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import { parseSimModel } from '../src/models/sim-models';
import { waitFinal, accuracy } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

// The published Lemur-70B-Chat run without feedback (MINT's max5_p2+tool+cd), replayed turn by turn by the simulator.
const PUBLISHED_RUN = resolve(__dirname, '../../../../shared/datasets/mint-bench/data/outputs/lemur-70b-chat-v1/F=None/max5_p2+tool+cd');
const REPLAY_MODEL = `sim:replay=${PUBLISHED_RUN}`;

interface StoredSample {
  item_id: string;
  status: string;
  score: number | null;
  error: string | null;
  score_detail: { reason?: string; terminateReason?: string; toolProvider?: string; scoringRules?: string } | null;
  transcript: { role: string; kind?: string; content?: string; observation?: string; success?: boolean; terminateReason?: string }[] | null;
}

// The gateway's run JSON also carries the config and the resolved spec (the CLI's type leaves them out).
type FullRunJson = RunJson & { config?: Record<string, unknown>; spec?: Record<string, unknown> };

/** Published verdicts of one task: item id → success, end reason and number of model turns. */
function published(task: string): Map<string, { success: boolean; terminateReason: string; turns: number }> {
  const kind = task === 'humaneval' || task === 'mbpp' ? 'code_generation' : 'reasoning';
  const rows = readFileSync(join(PUBLISHED_RUN, kind, task, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { state: { success: boolean; terminate_reason: string; history: { role: string }[] }; task: { task_id: number } });
  return new Map(
    rows.map((r) => [
      `mint-${task}/${r.task.task_id}`,
      { success: r.state.success, terminateReason: r.state.terminate_reason, turns: r.state.history.filter((m) => m.role === 'assistant').length },
    ]),
  );
}

describe('MINT episodes through the real local platform (simulator, inference, sandbox sessions, eval workers)', () => {
  let t: TestPlatform;
  let client: GatewayClient;
  let sql: pg.Client;

  const samplesOf = async (runId: string): Promise<StoredSample[]> =>
    (
      await sql.query<StoredSample>(
        'SELECT item_id, status, score, error, score_detail, transcript FROM sample WHERE run_id = $1 ORDER BY item_index',
        [runId],
      )
    ).rows;

  /** Replays one task and lists each episode whose verdict differs from the published one, with the reason. */
  async function replay(task: string, timeoutMs?: number): Promise<{ run: RunJson; differences: string[]; samples: StoredSample[] }> {
    const created = await client.createRun({ model: REPLAY_MODEL, benchmark: `mint-${task}`, concurrency: 8 });
    const run = await waitFinal<FullRunJson>(client, created.id, timeoutMs);
    const samples = await samplesOf(run.id);
    const expected = published(task);
    const differences: string[] = [];
    for (const s of samples) {
      const p = expected.get(s.item_id);
      if (p === undefined) {
        differences.push(`${s.item_id}: not in the published run`);
        continue;
      }
      if (s.status !== 'SCORED') {
        differences.push(`${s.item_id}: ${s.status} (${s.error}), published ${p.success}`);
        continue;
      }
      const ours = s.score === 1;
      if (ours !== p.success) {
        const lastObservation = [...(s.transcript ?? [])].reverse().find((e) => e.kind === 'execute')?.observation ?? '';
        differences.push(
          `${s.item_id}: ours ${ours} (${s.score_detail?.reason}), published ${p.success} (${p.terminateReason}); last cell output: ${lastObservation.slice(0, 200)}`,
        );
      }
    }
    return { run, differences, samples };
  }

  beforeAll(async () => {
    t = await startTestPlatform({ name: 'mint', simFast: true, extraSimModels: [parseSimModel(REPLAY_MODEL, process.cwd())!] });
    ({ client, sql } = t);
  }, 180_000);

  afterAll(() => t?.stop(), 60_000);

  it('scores sim:oracle 1.0 and sim:wrong 0.0 on mint-gsm8k, recording the protocol, rules and tool provider', async () => {
    const [oracle, wrong] = await Promise.all([
      client.createRun({ model: 'sim:oracle', benchmark: 'mint-gsm8k', concurrency: 8 }),
      client.createRun({ model: 'sim:wrong', benchmark: 'mint-gsm8k', concurrency: 8 }),
    ]);
    const [o, w] = await Promise.all([waitFinal<FullRunJson>(client, oracle.id), waitFinal<FullRunJson>(client, wrong.id)]);
    expect(o.summary?.counts).toMatchObject({ total: 48, scored: 48, errored: 0 });
    expect(accuracy(o)).toBe(1);
    expect(w.summary?.counts).toMatchObject({ total: 48, scored: 48, errored: 0 });
    expect(accuracy(w)).toBe(0);
    expect(o.spec).toMatchObject({ agent: { protocol: 'mint', scoringRules: 'published', maxSteps: 5, maxProposeSolution: 2, tools: ['wikipedia_search'] } });

    const [first] = await samplesOf(o.id);
    expect(first!.score_detail).toMatchObject({ terminateReason: 'task_success', toolProvider: 'offline-stub', scoringRules: 'published' });
    expect(first!.transcript!.map((e) => e.kind ?? e.role)).toEqual(['model', 'propose', 'verdict']);
    // Two proposals, both judged wrong: the budget's second chance is used, then the episode ends.
    const wrongSample = (await samplesOf(w.id))[0]!;
    expect(wrongSample.score_detail?.terminateReason).toBe('max_propose_steps');
    expect(wrongSample.transcript!.filter((e) => e.kind === 'propose')).toHaveLength(2);
  }, 180_000);

  it('asks a feedback model between turns when the run names one (gateway body, run config, spec, transcript)', async () => {
    // sim:wrong proposes a wrong answer; sim:echo, as the critic, repeats its prompt back as the "feedback".
    const created = await client.createRun({ model: 'sim:wrong', benchmark: 'mint-gsm8k', limit: 2, feedbackModel: 'sim:echo' });
    const run = await waitFinal<FullRunJson>(client, created.id);
    expect(run.config).toMatchObject({ feedbackModel: 'sim:echo' });
    expect(run.spec).toMatchObject({ agent: { feedbackModel: 'sim:echo' } });
    expect(run.summary?.counts).toMatchObject({ total: 2, scored: 2, errored: 0 });
    const [sample] = await samplesOf(run.id);
    const feedback = sample!.transcript!.find((e) => e.role === 'feedback');
    expect(feedback?.content).toContain('You are an expert tasked with evaluating');
    expect(sample!.transcript!.find((e) => e.role === 'environment')?.content).toContain('\nExpert feedback:\n');
    await expect(client.createRun({ model: 'sim:wrong', benchmark: 'gsm8k', feedbackModel: 'sim:echo' })).rejects.toThrow(/single-turn/);
  }, 120_000);

  it('replaying the published Lemur-70B-Chat GSM8K run through the real sandbox reproduces its 58.3% (within 1 point)', async () => {
    const { run, differences, samples } = await replay('gsm8k');
    if (differences.length > 0) console.log(`mint-gsm8k replay: ${differences.length} episodes differ:\n${differences.join('\n')}`);
    expect(run.summary?.counts).toMatchObject({ total: 48, errored: 0 });
    expect(Math.abs(accuracy(run) * 100 - 58.3)).toBeLessThanOrEqual(1);
    expect(differences).toEqual([]);
    // The code really ran in our sandbox: tool definitions present, outputs observed.
    const cells = samples.flatMap((s) => (s.transcript ?? []).filter((e) => e.kind === 'execute'));
    expect(cells.length).toBeGreaterThan(20);
    expect(cells.some((c) => /^\d/.test(c.observation ?? ''))).toBe(true);
  }, 180_000);

  // 316 episodes with MATH/TheoremQA cells (sympy, scipy, 30 s timeouts): a few minutes on a busy 2-core machine.
  it('replaying all five reasoning tasks reproduces the published tool-use average 31.65 (within 1 point)', async () => {
    // GSM8K was replayed above; the other four run at once (MATH and TheoremQA cells import sympy/scipy in the sandbox).
    const tasks = ['math', 'theoremqa', 'hotpotqa', 'mmlu'];
    const replays = await Promise.all(tasks.map((t) => replay(t, 1_100_000)));
    const gsm8k = await replay('gsm8k');
    const all = [gsm8k, ...replays];
    const differences = all.flatMap((r) => r.differences);
    if (differences.length > 0) console.log(`MINT reasoning replay: ${differences.length} episodes differ:\n${differences.join('\n')}`);
    const solved = all.reduce((n, r) => n + r.samples.filter((s) => s.score === 1).length, 0);
    const total = all.reduce((n, r) => n + r.samples.length, 0);
    expect(total).toBe(316);
    console.log(`MINT reasoning replay: ${tasks.map((t, i) => `${t} ${(accuracy(replays[i]!.run) * 100).toFixed(1)}`).join(', ')}; micro average ${((100 * solved) / total).toFixed(2)} (published 31.65)`);
    expect(Math.abs((100 * solved) / total - 31.65)).toBeLessThanOrEqual(1);
    // On a loaded machine a few episodes can end differently (a heavy sympy cell reaching MINT's 30 s limit, a session
    // lost under load: see the closing note); they are listed above, and the 1-point bound is the issue's criterion.
    // The published MATH/TheoremQA code imports sympy and scipy: the sandbox's /usr/bin/python3 -I must have them.
    const observations = all.flatMap((r) => r.samples.flatMap((x) => (x.transcript ?? []).filter((e) => e.kind === 'execute').map((e) => e.observation ?? '')));
    expect(observations.filter((o) => /No module named '(sympy|scipy|numpy)'/.test(o))).toEqual([]);
  }, 1_200_000);

  it('replaying HumanEval and MBPP (tests run in the sandbox) reproduces the published code average 27.21 (within 1 point)', async () => {
    const [humaneval, mbpp] = await Promise.all([replay('humaneval', 1_100_000), replay('mbpp', 1_100_000)]);
    const all = [humaneval!, mbpp!];
    const differences = all.flatMap((r) => r.differences);
    if (differences.length > 0) console.log(`MINT code replay: ${differences.length} episodes differ:\n${differences.join('\n')}`);
    const solved = all.reduce((n, r) => n + r.samples.filter((s) => s.score === 1).length, 0);
    console.log(`MINT code replay: humaneval ${(accuracy(humaneval!.run) * 100).toFixed(1)}, mbpp ${(accuracy(mbpp!.run) * 100).toFixed(1)}; micro average ${((100 * solved) / 136).toFixed(2)} (published 27.21)`);
    expect(all.reduce((n, r) => n + r.samples.length, 0)).toBe(136);
    expect(Math.abs((100 * solved) / 136 - 27.21)).toBeLessThanOrEqual(1);
  }, 1_200_000);
});
