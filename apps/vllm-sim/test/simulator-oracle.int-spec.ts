import {
  type BbhItem,
  DatasetResolver,
  getBenchmark,
  gsm8kBenchmark,
  loadBenchmarkItems,
  promptText,
  type Benchmark,
  type Prompt,
} from '@lemur/benchmarks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_PROMPT_ANSWER } from '../src/answers/answer-policy';
import { DEFAULT_DATASETS_DIR, type RunningSimulator, startSimulator } from '../src/simulator';
import { postJson } from './sim-http';

const SAMPLE = 12;
let sim: RunningSimulator;
const resolver = new DatasetResolver({ datasetsDir: DEFAULT_DATASETS_DIR, online: false });

beforeAll(async () => {
  sim = await startSimulator({
    fast: true,
    datasetsDir: DEFAULT_DATASETS_DIR,
    models: [
      { name: 'sim-oracle', mode: 'oracle' },
      { name: 'sim-wrong', mode: 'wrong' },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

async function ask(model: string, benchmark: Benchmark, prompt: Prompt): Promise<string> {
  const sampling = { max_tokens: benchmark.sampling.maxTokens, temperature: 0 };
  if (prompt.kind === 'completion') {
    // Completion-style stop strings (e.g. HumanEval's "\ndef") would cut a chat answer's fenced program, so only
    // completion prompts send them.
    const stop = benchmark.sampling.stop;
    const { status, body } = await postJson(`${sim.url}/v1/completions`, { model, prompt: prompt.text, stop, ...sampling });
    expect(status).toBe(200);
    return body.choices[0]?.text ?? '';
  }
  const { status, body } = await postJson(`${sim.url}/v1/chat/completions`, { model, messages: prompt.messages, ...sampling });
  expect(status).toBe(200);
  return body.choices[0]?.message?.content ?? '';
}

describe.each(['gsm8k', 'humaneval'])('oracle and wrong modes on real %s data', (name) => {
  const benchmark = getBenchmark(name);

  it.each([false, true])('answer with the reference and the wrong completion (chat=%s)', async (chat) => {
    const { items } = await loadBenchmarkItems(benchmark, resolver);
    for (const item of items.slice(0, SAMPLE)) {
      const prompt = benchmark.buildPrompt(item, { chat });
      expect(await ask('sim-oracle', benchmark, prompt)).toBe(benchmark.referenceCompletion(item, { chat }));
      expect(await ask('sim-wrong', benchmark, prompt)).toBe(benchmark.wrongCompletion(item, { chat }));
    }
  });
});

describe('scores through the simulator', () => {
  it('oracle answers score correct and wrong answers score incorrect on GSM8K', async () => {
    const benchmark = gsm8kBenchmark;
    const { items } = await loadBenchmarkItems(benchmark, resolver);
    const executor = { execute: () => Promise.reject(new Error('GSM8K scoring runs no code')) };
    for (const item of items.slice(0, SAMPLE)) {
      const prompt = benchmark.buildPrompt(item, { chat: false });
      expect(promptText(prompt)).toContain(item.question.trim());
      expect((await benchmark.score(item, await ask('sim-oracle', benchmark, prompt), { executor })).passed).toBe(true);
      expect((await benchmark.score(item, await ask('sim-wrong', benchmark, prompt), { executor })).passed).toBe(false);
    }
  });

  // Both variants share their items' keys; an answer-only prompt answered with a chain of thought would be cut at its
  // first newline (the answer-only stop) before the answer.
  it.each(['bbh', 'bbh-direct'])('oracle answers score correct and wrong answers incorrect on every %s task, with its stop', async (name) => {
    const benchmark = getBenchmark(name);
    const items = (await loadBenchmarkItems(benchmark, resolver)).items as BbhItem[];
    const executor = { execute: () => Promise.reject(new Error('BBH scoring runs no code')) };
    const firstOfTask = items.filter((item, k) => k === 0 || items[k - 1]!.task !== item.task);
    expect(firstOfTask).toHaveLength(27);
    const scores: [string, number, number][] = [];
    for (const item of firstOfTask) {
      const prompt = benchmark.buildPrompt(item, { chat: false });
      const oracle = await benchmark.score(item, await ask('sim-oracle', benchmark, prompt), { executor });
      const wrong = await benchmark.score(item, await ask('sim-wrong', benchmark, prompt), { executor });
      scores.push([item.task, oracle.score, wrong.score]);
    }
    expect(scores).toEqual(firstOfTask.map((item) => [item.task, 1, 0]));
  });

  it("answers an unknown prompt with I don't know.", async () => {
    const { body } = await postJson(`${sim.url}/v1/completions`, { model: 'sim-oracle', prompt: 'Tell me a joke.', max_tokens: 20 });
    expect(body.choices[0]?.text).toBe(UNKNOWN_PROMPT_ANSWER);
  });
});
