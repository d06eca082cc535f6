import { afterEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../src/simulator';
import { metric, postJson, postStream, waitFor } from './sim-http';

const LONG_ANSWER = 'one two six ten big red hot top';
const models: SimulatorOptions['models'] = [{ name: 'sim', mode: 'scripted', rules: [], defaultCompletion: LONG_ANSWER }];
// Decoding is so slow that a started stream holds its slot for the whole test, whatever the machine's speed.
const slowDecode = { ttftBaseMs: 0, ttftPerPromptTokenMs: 0, tpotMs: 600_000, batchSlowdownPerSeq: 0 };

const running: RunningSimulator[] = [];
async function start(options: Partial<SimulatorOptions>): Promise<RunningSimulator> {
  const sim = await startSimulator({ models, ...options });
  running.push(sim);
  return sim;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** Starts a stream and returns once its first SSE event has arrived. */
async function openStream(url: string, signal: AbortSignal): Promise<string> {
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'sim', prompt: 'go', max_tokens: 50, stream: true }),
    signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const first = await reader.read();
  return new TextDecoder().decode(first.value);
}

const gauge = (url: string, name: string) => metric(url, name, { model_name: 'sim' });
const aborts = async (url: string) =>
  (await metric(url, 'vllm:request_success_total', { model_name: 'sim', finished_reason: 'abort' })) ?? 0;

describe('batching and queueing', () => {
  it('queues requests beyond maxConcurrentSeqs FIFO and frees the slot when a client disconnects', async () => {
    const sim = await start({ maxConcurrentSeqs: 1, timeModel: slowDecode });
    const holder = new AbortController();
    expect(await openStream(sim.url, holder.signal)).toContain('"text":"one"');
    expect(await gauge(sim.url, 'vllm:num_requests_running')).toBe(1);
    expect(await gauge(sim.url, 'vllm:gpu_cache_usage_perc')).toBeGreaterThan(0);

    const queued = postJson(`${sim.url}/v1/completions`, { model: 'sim', prompt: 'next', max_tokens: 1 });
    await waitFor(async () => (await gauge(sim.url, 'vllm:num_requests_waiting')) === 1, 'a waiting request');
    expect(await gauge(sim.url, 'vllm:num_requests_running')).toBe(1);

    holder.abort();
    const { status, body } = await queued;
    expect(status).toBe(200);
    expect(body.choices[0]).toMatchObject({ text: 'one', finish_reason: 'length' });
    expect(await aborts(sim.url)).toBe(1);
    expect(await gauge(sim.url, 'vllm:num_requests_waiting')).toBe(0);
    expect(await gauge(sim.url, 'vllm:num_requests_running')).toBe(0);
    expect(await gauge(sim.url, 'vllm:kv_cache_usage_perc')).toBe(0);
  });

  it('drops a waiting request whose client goes away', async () => {
    const sim = await start({ maxConcurrentSeqs: 1, timeModel: slowDecode });
    const holder = new AbortController();
    await openStream(sim.url, holder.signal);
    const waiter = new AbortController();
    const abandoned = fetch(`${sim.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sim', prompt: 'x', max_tokens: 1 }),
      signal: waiter.signal,
    }).catch((err: unknown) => err);
    await waitFor(async () => (await gauge(sim.url, 'vllm:num_requests_waiting')) === 1, 'a waiting request');
    waiter.abort();
    await abandoned;
    await waitFor(async () => (await gauge(sim.url, 'vllm:num_requests_waiting')) === 0, 'the queue to empty');
    expect(await aborts(sim.url)).toBe(1);
    expect(await gauge(sim.url, 'vllm:num_requests_running')).toBe(1);
    holder.abort();
    await waitFor(async () => (await gauge(sim.url, 'vllm:num_requests_running')) === 0, 'the slot to be freed');
  });
});

describe('fault injection', () => {
  it('answers every request with a 500 at error rate 1, before any token', async () => {
    const sim = await start({ fast: true, faults: { errorRate: 1 } });
    const plain = await postJson(`${sim.url}/v1/completions`, { model: 'sim', prompt: 'x' });
    expect(plain.status).toBe(500);
    expect(plain.body.error).toMatchObject({ type: 'InternalServerError', code: 500 });
    const streamed = await postStream(`${sim.url}/v1/chat/completions`, { model: 'sim', messages: [{ role: 'user', content: 'x' }] });
    expect(streamed.status).toBe(500);
    expect(await metric(sim.url, 'vllm:generation_tokens_total', { model_name: 'sim' })).toBe(0);
  });

  it('fails the same requests for the same seed', async () => {
    const statuses = async (seed: number): Promise<number[]> => {
      const sim = await start({ fast: true, faults: { errorRate: 0.5, seed } });
      const result: number[] = [];
      for (let i = 0; i < 24; i++) result.push((await postJson(`${sim.url}/v1/completions`, { model: 'sim', prompt: 'x' })).status);
      return result;
    };
    const first = await statuses(11);
    expect(await statuses(11)).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 500]));
  });

  it('stalls streams after the first token until the client leaves', async () => {
    const sim = await start({ fast: true, faults: { stallRate: 1 } });
    const client = new AbortController();
    const first = await openStream(sim.url, client.signal);
    expect(first).toContain('"text":"one"');
    expect(first).not.toContain('[DONE]');
    expect(await gauge(sim.url, 'vllm:num_requests_running')).toBe(1);
    expect(await metric(sim.url, 'vllm:generation_tokens_total', { model_name: 'sim' })).toBe(1);

    // Non-streaming requests are not stalled.
    const plain = await postJson(`${sim.url}/v1/completions`, { model: 'sim', prompt: 'x', max_tokens: 2 });
    expect(plain.body.choices[0]?.text).toBe('one two');

    client.abort();
    await waitFor(async () => (await gauge(sim.url, 'vllm:num_requests_running')) === 0, 'the stalled slot to be freed');
    expect(await aborts(sim.url)).toBe(1);
  });

  it('crashes after N requests: drops connections and stops listening', async () => {
    let crashed = 0;
    const sim = await start({ fast: true, faults: { crashAfterRequests: 2 }, onCrash: () => (crashed += 1) });
    for (let i = 0; i < 2; i++) {
      expect((await postJson(`${sim.url}/v1/completions`, { model: 'sim', prompt: 'x' })).status).toBe(200);
    }
    await expect(postJson(`${sim.url}/v1/completions`, { model: 'sim', prompt: 'x' })).rejects.toThrow();
    await waitFor(async () => crashed === 1, 'the crash callback');
    await expect(fetch(`${sim.url}/health`)).rejects.toThrow();
  });
});
