import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayClient, type RunJson } from '../src/api/gateway-client';
import { accuracy, waitFinal } from './run-polling';
import { startTestPlatform } from './test-platform';

const ITEMS = 40;

interface StoredSample {
  completion: string;
  score: number;
  score_detail: { scoring?: string; protocol?: string; fallback?: string; extracted?: string; choiceLogprobs?: Record<string, number | null> };
  transcript: { topLogprobs?: { token: string; logprob: number }[] }[];
}

/** A local platform (real gateway, eval, inference, sandbox and vllm-sim processes) and what it stored. */
async function startPlatform(name: string, env: Record<string, string> = {}) {
  const t = await startTestPlatform({ name, simFast: true, env });
  return {
    client: t.client,
    samples: async (runId: string) =>
      (await t.sql.query<StoredSample>(`SELECT completion, score, score_detail, transcript FROM sample WHERE run_id = $1 ORDER BY item_index`, [runId])).rows,
    spec: async (runId: string) => (await t.sql.query<{ spec: { choiceScoring?: unknown } }>(`SELECT spec FROM run WHERE id = $1`, [runId])).rows[0]!.spec,
    stop: () => t.stop(),
  };
}

async function runAll(client: GatewayClient, bodies: Parameters<GatewayClient['createRun']>[0][]): Promise<RunJson[]> {
  const runs = await Promise.all(bodies.map((b) => client.createRun(b)));
  const done = await Promise.all(runs.map((r) => waitFinal(client, r.id)));
  for (const run of done) {
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run.summary?.counts).toMatchObject({ total: ITEMS, scored: ITEMS, errored: 0 });
  }
  return done;
}

describe('MMLU scored by answer-letter log-probabilities, end to end through the real platform', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;

  beforeAll(async () => {
    platform = await startPlatform('mmlu-logprobs');
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  }, 60_000);

  it('scores sim:oracle 100% and sim:wrong 0% from the letters\' logprobs, and a chat run by generation', async () => {
    const [oracle, wrong, chat] = await runAll(platform.client, [
      { model: 'sim:oracle', benchmark: 'mmlu', limit: ITEMS },
      { model: 'sim:wrong', benchmark: 'mmlu', limit: ITEMS },
      { model: 'sim:oracle', benchmark: 'mmlu', limit: ITEMS, chat: true },
    ]);
    expect([accuracy(oracle!), accuracy(wrong!), accuracy(chat!)]).toEqual([1, 0, 1]);
    expect(`${oracle!.benchmark}@${oracle!.benchmarkVersion}`).toBe('mmlu@2.0.0');

    // The run manifest says how answers are chosen.
    expect((await platform.spec(oracle!.id)).choiceScoring).toEqual({ method: 'logprobs', protocol: 'next-token-logprobs', topLogprobs: 20, maxTokens: 1, fallback: 'generation' });
    expect((await platform.spec(chat!.id)).choiceScoring).toEqual({ method: 'generation', reason: 'the run uses the chat API (chat option)' });

    for (const [run, right] of [[oracle!, true], [wrong!, false]] as const) {
      for (const sample of await platform.samples(run.id)) {
        expect(sample.score_detail).toMatchObject({ scoring: 'logprobs', protocol: 'next-token-logprobs' });
        expect(sample.score_detail.fallback).toBeUndefined();
        // The four letters' log-probabilities, the chosen one highest; the candidates kept for a later re-scoring.
        const lp = sample.score_detail.choiceLogprobs!;
        expect(Object.keys(lp)).toEqual(['A', 'B', 'C', 'D']);
        expect(Object.values(lp).every((v) => typeof v === 'number')).toBe(true);
        const best = Object.entries(lp).sort((a, b) => b[1]! - a[1]!)[0]![0];
        expect(best).toBe(sample.score_detail.extracted);
        expect(sample.completion).toBe(` ${best}`);
        expect(sample.score).toBe(right ? 1 : 0);
        expect(sample.transcript[0]!.topLogprobs).toHaveLength(20);
      }
    }
    for (const sample of await platform.samples(chat!.id)) {
      expect(sample.score_detail).toMatchObject({ scoring: 'generation', fallback: 'the run uses the chat API (chat option)' });
      expect(sample.score_detail.choiceLogprobs).toBeUndefined();
    }
  }, 300_000);
});

describe('MMLU against an endpoint that refuses logprobs, end to end', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;

  beforeAll(async () => {
    // The simulator answers every request for alternatives with vLLM's 400 (as `vllm serve --max-logprobs 0` does).
    platform = await startPlatform('mmlu-refused', { VLLM_SIM_MAX_LOGPROBS: '0' });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  }, 60_000);

  it('falls back to generation per sample, says why, and still scores the oracle 100% and the wrong model 0%', async () => {
    const [oracle, wrong] = await runAll(platform.client, [
      { model: 'sim:oracle', benchmark: 'mmlu', limit: ITEMS },
      { model: 'sim:wrong', benchmark: 'mmlu', limit: ITEMS },
    ]);
    expect([accuracy(oracle!), accuracy(wrong!)]).toEqual([1, 0]);
    expect((await platform.spec(oracle!.id)).choiceScoring).toMatchObject({ method: 'logprobs', fallback: 'generation' });
    for (const run of [oracle!, wrong!]) {
      for (const sample of await platform.samples(run.id)) {
        expect(sample.score_detail.scoring).toBe('generation');
        expect(sample.score_detail.fallback).toMatch(/^the endpoint refused logprobs: .*greater than max allowed: 0/);
        expect(sample.score_detail.choiceLogprobs).toBeUndefined();
      }
    }
  }, 300_000);
});
