import { DatasetResolver, loadBenchmarkItems, mmluBenchmark, promptText, selectMmluLetter, type MmluItem } from '@lemur/benchmarks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompletionLogprobs } from '../src/generation/token-logprobs';
import { DEFAULT_DATASETS_DIR, type RunningSimulator, startSimulator } from '../src/simulator';
import { chunksOf, postJson, postStream } from './sim-http';

type LogprobsChoice = { text: string; logprobs: CompletionLogprobs | null; finish_reason: string };

let sim: RunningSimulator;
let strict: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({
    fast: true,
    datasetsDir: DEFAULT_DATASETS_DIR,
    models: [
      { name: 'echo', mode: 'echo' },
      { name: 'oracle', mode: 'oracle' },
      { name: 'wrong', mode: 'wrong' },
    ],
  });
  // A server started with --max-logprobs 0: every request for alternatives is refused, as vLLM refuses them.
  strict = await startSimulator({ fast: true, maxLogprobs: 0, models: [{ name: 'echo', mode: 'echo' }] });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await strict?.close();
});

async function complete(body: Record<string, unknown>, url = sim.url): Promise<LogprobsChoice> {
  const { status, body: answer } = await postJson(`${url}/v1/completions`, { model: 'echo', ...body });
  expect(status, JSON.stringify(answer)).toBe(200);
  return answer.choices[0] as unknown as LogprobsChoice;
}

/** Checks the invariants of vLLM's completions `logprobs` object against the choice's text. */
function expectWellFormed(lp: CompletionLogprobs, text: string, top: number): void {
  const n = lp.tokens.length;
  expect([lp.token_logprobs.length, lp.top_logprobs.length, lp.text_offset.length]).toEqual([n, n, n]);
  expect(lp.tokens.join('')).toBe(text);
  lp.tokens.forEach((token, i) => {
    expect(lp.text_offset[i]).toBe(lp.tokens.slice(0, i).join('').length);
    const alternatives = lp.top_logprobs[i];
    if (alternatives === null || alternatives === undefined) return;
    // vLLM lists the chosen token and the top N; at greedy the chosen one is the top, so N entries (1 for N = 0).
    expect(Object.keys(alternatives)).toHaveLength(Math.max(1, top));
    expect(alternatives[token]).toBe(lp.token_logprobs[i]);
    expect(Math.max(...Object.values(alternatives))).toBe(lp.token_logprobs[i]);
    expect(Object.values(alternatives).reduce((sum, v) => sum + Math.exp(v), 0)).toBeLessThanOrEqual(1);
  });
}

describe('completions logprobs in vLLM\'s format', () => {
  it('gives tokens, token_logprobs, top_logprobs and text_offset for every generated token', async () => {
    const choice = await complete({ prompt: 'Say it.\n\nThe answer is forty-two', max_tokens: 4, logprobs: 5 });
    expect(choice.text).toBe('The answer is');
    expect(choice.logprobs?.tokens).toEqual(['The', ' answ', 'er', ' is']);
    expectWellFormed(choice.logprobs!, 'The answer is', 5);
  });

  it('gives the chosen token only for logprobs 0, and null without logprobs', async () => {
    const zero = await complete({ prompt: 'one two', max_tokens: 2, logprobs: 0 });
    expectWellFormed(zero.logprobs!, zero.text, 0);
    expect((await complete({ prompt: 'one two', max_tokens: 2 })).logprobs).toBeNull();
  });

  it('echoes the prompt with its log-probabilities, the first token\'s null, and max_tokens 0 generates nothing', async () => {
    const prompt = 'Question: why?\nAnswer:';
    const choice = await complete({ prompt, max_tokens: 0, echo: true, logprobs: 1 });
    expect(choice.text).toBe(prompt);
    expect(choice.logprobs!.token_logprobs[0]).toBeNull();
    expect(choice.logprobs!.top_logprobs[0]).toBeNull();
    expect(choice.logprobs!.token_logprobs.slice(1).every((v) => typeof v === 'number')).toBe(true);
    expectWellFormed(choice.logprobs!, prompt, 1);
    const more = await complete({ prompt, max_tokens: 2, echo: true, logprobs: 1 });
    expect(more.text.startsWith(prompt)).toBe(true);
    expectWellFormed(more.logprobs!, more.text, 1);
  });

  it('streams each token\'s log-probabilities with offsets continuing across chunks', async () => {
    const { events } = await postStream(`${sim.url}/v1/completions`, { model: 'echo', prompt: 'alpha beta gamma', max_tokens: 3, logprobs: 2 });
    const pieces = chunksOf(events).flatMap((c) => c.choices as unknown as LogprobsChoice[]).filter((c) => c.logprobs !== null);
    const merged: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    for (const { logprobs } of pieces) {
      merged.tokens.push(...logprobs!.tokens);
      merged.token_logprobs.push(...logprobs!.token_logprobs);
      merged.top_logprobs.push(...logprobs!.top_logprobs);
      merged.text_offset.push(...logprobs!.text_offset);
    }
    expect(merged.tokens).toEqual(['alph', 'a', ' beta']);
    expectWellFormed(merged, 'alpha beta', 2);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['more alternatives than --max-logprobs', { logprobs: 21 }, 'logprobs', 'Requested sample logprobs of 21, which is greater than max allowed: 20'],
    ['negative logprobs', { logprobs: -1 }, 'logprobs', '`logprobs` must be a positive value.'],
    ['max_tokens 0 without echo', { max_tokens: 0 }, 'max_tokens', 'max_tokens must be at least 1, got 0.'],
    ['echo on a stream', { echo: true, stream: true }, 'echo', 'echo is simulated for non-streaming requests only'],
  ])('answers 400 for %s, naming the field', async (_name, extra, param, message) => {
    const { status, body } = await postJson(`${sim.url}/v1/completions`, { model: 'echo', prompt: 'x', ...extra });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'BadRequestError', param, message });
  });

  it('refuses alternatives on a server started with --max-logprobs 0, as vLLM does', async () => {
    const { status, body } = await postJson(`${strict.url}/v1/completions`, { model: 'echo', prompt: 'x', logprobs: 20, max_tokens: 1 });
    expect(status).toBe(400);
    expect(body.error.message).toBe('Requested sample logprobs of 20, which is greater than max allowed: 0');
    expect((await complete({ prompt: 'x', logprobs: 0, max_tokens: 1 }, strict.url)).logprobs?.tokens).toEqual(['x']);
  });

  it('answers chat requests for logprobs with logprobs null (not simulated)', async () => {
    const { status, body } = await postJson(`${sim.url}/v1/chat/completions`, { model: 'echo', messages: [{ role: 'user', content: 'hi' }], logprobs: true, top_logprobs: 5 });
    expect(status).toBe(200);
    expect((body.choices[0] as unknown as { logprobs: unknown }).logprobs).toBeNull();
  });
});

describe('MMLU answer letters on real data', () => {
  it('ranks the right letter first for the oracle and a wrong letter first for the wrong model', async () => {
    const resolver = new DatasetResolver({ datasetsDir: DEFAULT_DATASETS_DIR, online: false });
    const { items } = await loadBenchmarkItems(mmluBenchmark, resolver);
    const { topLogprobs, maxTokens } = mmluBenchmark.likelihood;
    for (const item of (items as MmluItem[]).filter((_, i) => i % 1000 === 0)) {
      const prompt = promptText(mmluBenchmark.buildPrompt(item, { chat: false }));
      for (const model of ['oracle', 'wrong']) {
        const choice = await complete({ model, prompt, max_tokens: maxTokens, logprobs: topLogprobs, temperature: 0 });
        expectWellFormed(choice.logprobs!, choice.text, topLogprobs);
        const candidates = Object.entries(choice.logprobs!.top_logprobs[0]!).map(([token, logprob]) => ({ token, logprob }));
        const { letter, logprobs } = selectMmluLetter(candidates);
        // Every option is among the 20, the chosen one far ahead.
        expect(Object.values(logprobs).every((v) => v !== null)).toBe(true);
        if (model === 'oracle') expect(letter, item.id).toBe(item.answer);
        else expect(letter, item.id).not.toBe(item.answer);
        expect(mmluBenchmark.likelihood.score(item, candidates).passed).toBe(model === 'oracle');
      }
    }
  }, 120_000);
});
