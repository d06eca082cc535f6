import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator';
import { metric, postJson, waitFor } from './sim-http';

const sample = (url: string, name: string) => metric(url, name, { model_name: 'sim' }).then((v) => v ?? 0);

async function timeToFirstByte(url: string, prompt: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'sim', prompt, max_tokens: 4, stream: true }),
  });
  const reader = response.body!.getReader();
  await reader.read();
  const elapsed = performance.now() - started;
  while (!(await reader.read()).done);
  return elapsed;
}

describe('prefix cache', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    // 2 ms per uncached prompt token makes a 400-token prefill take 0.8 s; a cached one takes a few ms. The cache
    // holds 30 blocks: one 25-block prefix, not two.
    sim = await startSimulator({
      models: [{ name: 'sim', mode: 'echo' }],
      timeModel: { ttftBaseMs: 1, ttftPerPromptTokenMs: 2, tpotMs: 1, batchSlowdownPerSeq: 0 },
      blockSize: 16,
      prefixCacheBlocks: 30,
      maxModelLen: 8192,
    });
  });
  afterAll(() => sim.close());

  const prefix = (seed: string) => Array.from({ length: 400 }, (_, i) => ` ${seed}${i}`).join('');

  it('cuts the time to first token of a prompt whose prefix was prefilled before, and counts hit tokens', async () => {
    const cold = await timeToFirstByte(sim.url, `${prefix('a')}\n\nQuestion one?`);
    const hitsBefore = await sample(sim.url, 'vllm:prefix_cache_hits_total');
    const warm = await timeToFirstByte(sim.url, `${prefix('a')}\n\nAnother question?`);
    expect(cold).toBeGreaterThan(600);
    expect(warm).toBeLessThan(cold / 3);
    // The 400-token prefix is 25 full blocks of 16; the question after it is in a partial block.
    expect((await sample(sim.url, 'vllm:prefix_cache_hits_total')) - hitsBefore).toBe(400);
    expect(await sample(sim.url, 'vllm:prefix_cache_queries_total')).toBeGreaterThan(800);
  });

  it('evicts least recently used blocks: another long prefix pushes the first one out', async () => {
    await timeToFirstByte(sim.url, `${prefix('b')}\n\nQ?`);
    const hitsBefore = await sample(sim.url, 'vllm:prefix_cache_hits_total');
    await timeToFirstByte(sim.url, `${prefix('a')}\n\nQ?`);
    expect((await sample(sim.url, 'vllm:prefix_cache_hits_total')) - hitsBefore).toBe(0);
  });
});

describe('KV-cache capacity', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({
      models: [{ name: 'sim', mode: 'echo' }],
      timeModel: { ttftBaseMs: 1, ttftPerPromptTokenMs: 0, tpotMs: 5, batchSlowdownPerSeq: 0 },
      blockSize: 16,
      kvCacheBlocks: 40,
      maxModelLen: 8192,
    });
  });
  afterAll(() => sim.close());

  it('makes requests wait while running ones hold the blocks, and reports KV-cache usage', async () => {
    // 26 blocks each (200 prompt tokens + the echoed 200): two do not fit in 40 blocks at once.
    const prompt = Array.from({ length: 200 }, (_, i) => ` w${i}`).join('');
    const first = postJson(`${sim.url}/v1/completions`, { model: 'sim', prompt, max_tokens: 250 });
    await waitFor(async () => (await sample(sim.url, 'vllm:num_requests_running')) === 1, 'the first request to run');
    const second = postJson(`${sim.url}/v1/completions`, { model: 'sim', prompt, max_tokens: 250 });
    await waitFor(async () => (await sample(sim.url, 'vllm:num_requests_waiting')) === 1, 'the second request to wait');
    expect(await sample(sim.url, 'vllm:num_requests_running')).toBe(1);
    const usage = await sample(sim.url, 'vllm:kv_cache_usage_perc');
    expect(usage).toBeGreaterThan(0.5);
    expect(usage).toBeLessThanOrEqual(1);
    expect(await sample(sim.url, 'vllm:gpu_cache_usage_perc')).toBe(usage);
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(await sample(sim.url, 'vllm:kv_cache_usage_perc')).toBe(0);
    expect(await sample(sim.url, 'vllm:num_requests_waiting')).toBe(0);
  });
});
