import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator';
import { chunksOf, metric, postJson, postStream } from './sim-http';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({
    fast: true,
    maxModelLen: 256,
    bodyLimitBytes: 64 * 1024,
    models: [
      { name: 'sim-echo', mode: 'echo' },
      {
        name: 'sim-scripted',
        mode: 'scripted',
        rules: [
          { match: 'capital of France', completion: 'Paris is the capital.\nQ: next question' },
          { match: '/count/i', completion: 'one two six ten big red' },
        ],
        defaultCompletion: 'no rule',
      },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

describe('GET endpoints', () => {
  it('lists the configured models as vLLM does', async () => {
    const response = await fetch(`${sim.url}/v1/models`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { object: string; data: { id: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(['sim-echo', 'sim-scripted']);
    expect(body.data[0]).toMatchObject({ object: 'model', owned_by: 'vllm', max_model_len: 256 });
  });

  it('reports health', async () => {
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
  });

  it('exposes every vLLM metric name with the model_name label', async () => {
    const response = await fetch(`${sim.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    for (const name of [
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:gpu_cache_usage_perc',
      'vllm:kv_cache_usage_perc',
      'vllm:time_to_first_token_seconds_bucket',
      'vllm:time_per_output_token_seconds_bucket',
      'vllm:e2e_request_latency_seconds_bucket',
      'vllm:prompt_tokens_total',
      'vllm:generation_tokens_total',
      'vllm:request_success_total',
      'vllm:prefix_cache_queries_total',
      'vllm:prefix_cache_hits_total',
    ]) {
      expect(text).toContain(`${name}{`);
    }
    expect(text).toContain('model_name="sim-scripted"');
  });
});

describe('POST /v1/completions', () => {
  it('answers with text, finish reason and usage', async () => {
    const { status, body } = await postJson(`${sim.url}/v1/completions`, {
      model: 'sim-scripted',
      prompt: 'What is the capital of France?',
      max_tokens: 100,
    });
    expect(status).toBe(200);
    expect(body.object).toBe('text_completion');
    expect(body.id).toMatch(/^cmpl-/);
    expect(body.choices).toEqual([
      expect.objectContaining({ index: 0, text: 'Paris is the capital.\nQ: next question', finish_reason: 'stop' }),
    ]);
    // "What is the capital of France?" -> What, is, the, capi, tal, of, Fran, ce, ? = 9 tokens.
    expect(body.usage).toEqual({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });
  });

  it('cuts at a stop string without returning it', async () => {
    const { body } = await postJson(`${sim.url}/v1/completions`, {
      model: 'sim-scripted',
      prompt: 'capital of France',
      stop: ['Q:', 'nothing'],
      max_tokens: 100,
    });
    expect(body.choices[0]).toMatchObject({ text: 'Paris is the capital.\n', finish_reason: 'stop', stop_reason: 'Q:' });
  });

  it('truncates at max_tokens with finish_reason length and counts exactly max_tokens', async () => {
    const { body } = await postJson(`${sim.url}/v1/completions`, { model: 'sim-scripted', prompt: 'count', max_tokens: 3 });
    expect(body.choices[0]).toMatchObject({ text: 'one two six', finish_reason: 'length' });
    expect(body.usage.completion_tokens).toBe(3);
  });

  it('returns n choices per prompt, indexed across a prompt batch', async () => {
    const { body } = await postJson(`${sim.url}/v1/completions`, {
      model: 'sim-echo',
      prompt: ['first', 'second'],
      n: 2,
      max_tokens: 10,
    });
    expect(body.choices.map((c) => [c.index, c.text])).toEqual([
      [0, 'first'],
      [1, 'first'],
      [2, 'second'],
      [3, 'second'],
    ]);
    // first -> firs, t; second -> seco, nd: 2 tokens each, echoed twice per prompt.
    expect(body.usage).toEqual({ prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 });
  });

  it('streams text chunks, a final finish chunk, usage, then [DONE]', async () => {
    const { status, contentType, events } = await postStream(`${sim.url}/v1/completions`, {
      model: 'sim-scripted',
      prompt: 'count',
      max_tokens: 4,
      n: 2,
      stream_options: { include_usage: true },
    });
    expect(status).toBe(200);
    expect(contentType).toContain('text/event-stream');
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = chunksOf(events);
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toEqual({ prompt_tokens: 2, completion_tokens: 8, total_tokens: 10 });
    for (const index of [0, 1]) {
      const mine = chunks.slice(0, -1).flatMap((c) => c.choices.filter((choice) => choice.index === index));
      expect(mine.map((choice) => choice.text).join('')).toBe('one two six ten');
      expect(mine.at(-1)?.finish_reason).toBe('length');
      expect(mine.slice(0, -1).every((choice) => choice.finish_reason === null)).toBe(true);
    }
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('omits the usage chunk unless asked', async () => {
    const { events } = await postStream(`${sim.url}/v1/completions`, { model: 'sim-echo', prompt: 'hi', max_tokens: 5 });
    expect(chunksOf(events).some((chunk) => chunk.usage)).toBe(false);
  });
});

describe('POST /v1/chat/completions', () => {
  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Echo me back' },
  ];

  it('answers with an assistant message', async () => {
    const { status, body } = await postJson(`${sim.url}/v1/chat/completions`, { model: 'sim-echo', messages });
    expect(status).toBe(200);
    expect(body.object).toBe('chat.completion');
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.choices[0]).toMatchObject({
      index: 0,
      message: { role: 'assistant', content: 'Echo me back' },
      finish_reason: 'stop',
    });
    expect(body.usage.completion_tokens).toBe(3);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 3);
  });

  it('matches scripted rules against all message contents joined', async () => {
    const { body } = await postJson(`${sim.url}/v1/chat/completions`, {
      model: 'sim-scripted',
      messages: [{ role: 'user', content: 'capital of' }, { role: 'user', content: 'France' }],
    });
    expect(body.choices[0]?.message?.content).toBe('no rule');
  });

  it('streams a role chunk, content deltas and a finish chunk', async () => {
    const { events } = await postStream(`${sim.url}/v1/chat/completions`, {
      model: 'sim-scripted',
      messages: [{ role: 'user', content: 'capital of France?' }],
      stop: '\n',
      stream_options: { include_usage: true },
    });
    const chunks = chunksOf(events);
    expect(events.at(-1)).toBe('[DONE]');
    expect(chunks[0]?.object).toBe('chat.completion.chunk');
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices.map((choice) => choice.delta?.content ?? '').join('')).toBe('Paris is the capital.');
    const finish = choices.filter((choice) => choice.finish_reason !== null);
    expect(finish).toHaveLength(1);
    expect(finish[0]).toMatchObject({ finish_reason: 'stop', stop_reason: '\n', delta: {} });
    expect(chunks.at(-1)?.usage.completion_tokens).toBe(7);
  });
});

describe('errors', () => {
  it.each([
    ['/v1/completions', { model: 'sim-echo', prompt: 'x', max_tokens: -1 }, 'max_tokens'],
    ['/v1/completions', { model: 'sim-echo', prompt: 'x', n: 0 }, 'n'],
    ['/v1/completions', { model: 'sim-echo' }, 'prompt'],
    ['/v1/completions', { model: 'sim-echo', prompt: 'x', max_tokens: 1000 }, 'max_tokens'],
    ['/v1/chat/completions', { model: 'sim-echo', messages: 'hi' }, 'messages'],
    ['/v1/chat/completions', { model: 'sim-echo', messages: [{ role: 'user', content: 'x' }], top_p: 0 }, 'top_p'],
  ])('%s %j -> 400 naming %s', async (path, body, param) => {
    const response = await postJson(`${sim.url}${path}`, body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: 'BadRequestError', param, code: 400 });
    expect(response.body.error.message).toEqual(expect.any(String));
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await postJson(`${sim.url}/v1/completions`, '{"model":');
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: 'BadRequestError', code: 400 });
  });

  it('answers 413 for a body over the limit', async () => {
    const response = await postJson(`${sim.url}/v1/completions`, { model: 'sim-echo', prompt: 'x'.repeat(100 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe(413);
  });

  it('answers 404 for an unknown model, like vLLM', async () => {
    const response = await postJson(`${sim.url}/v1/chat/completions`, {
      model: 'gpt-4',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({ type: 'NotFoundError', param: 'model', code: 404 });
    expect(response.body.error.message).toContain('gpt-4');
  });
});

describe('metrics move with traffic', () => {
  it('counts prompt and generation tokens and finished requests', async () => {
    const labels = { model_name: 'sim-echo' };
    const before = {
      prompt: (await metric(sim.url, 'vllm:prompt_tokens_total', labels)) ?? 0,
      generated: (await metric(sim.url, 'vllm:generation_tokens_total', labels)) ?? 0,
      stopped: (await metric(sim.url, 'vllm:request_success_total', { ...labels, finished_reason: 'stop' })) ?? 0,
      e2e: (await metric(sim.url, 'vllm:e2e_request_latency_seconds_count', labels)) ?? 0,
      ttft: (await metric(sim.url, 'vllm:time_to_first_token_seconds_count', labels)) ?? 0,
    };
    // alpha beta -> alph, a, " beta": 3 tokens in, echoed back as 3 tokens out.
    await postJson(`${sim.url}/v1/completions`, { model: 'sim-echo', prompt: 'alpha beta', max_tokens: 10 });
    expect(await metric(sim.url, 'vllm:prompt_tokens_total', labels)).toBe(before.prompt + 3);
    expect(await metric(sim.url, 'vllm:generation_tokens_total', labels)).toBe(before.generated + 3);
    expect(await metric(sim.url, 'vllm:request_success_total', { ...labels, finished_reason: 'stop' })).toBe(before.stopped + 1);
    expect(await metric(sim.url, 'vllm:e2e_request_latency_seconds_count', labels)).toBe(before.e2e + 1);
    expect(await metric(sim.url, 'vllm:time_to_first_token_seconds_count', labels)).toBe(before.ttft + 1);
    expect(await metric(sim.url, 'vllm:num_requests_running', labels)).toBe(0);
  });
});
