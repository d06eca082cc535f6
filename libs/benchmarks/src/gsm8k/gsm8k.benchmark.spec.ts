import { beforeAll, describe, expect, it } from 'vitest';
import { type CodeExecutor, promptText } from '../benchmark';
import { BenchmarkException } from '../benchmark.exception';
import { readSharedDataset } from '../testing/shared-datasets';
import { type Gsm8kItem, gsm8kBenchmark } from './gsm8k.benchmark';

// GSM8K never executes code; an executor that fails loudly proves it.
const noExecutor: CodeExecutor = {
  execute: () => Promise.reject(new Error('GSM8K must not execute code')),
};

// The first and last cot_answer strings of open-instruct eval/gsm/examplars.py, copied verbatim.
const PUBLISHED_FIRST = 'There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. So the answer is 6.';
const PUBLISHED_LAST = 'Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. So the answer is 8.';

describe('gsm8k@1.0.0', () => {
  let items: Gsm8kItem[];

  beforeAll(() => {
    items = gsm8kBenchmark.parse(readSharedDataset(gsm8kBenchmark));
  });

  it('parses all 1319 test items with numeric answers', () => {
    expect(items).toHaveLength(1319);
    expect(items[0]).toMatchObject({ id: 'gsm8k/0', answer: '18' });
    expect(new Set(items.map((i) => i.id)).size).toBe(1319);
  });

  it('builds the open-instruct 8-shot chain-of-thought prompt', () => {
    const item = items[0] as Gsm8kItem;
    const prompt = gsm8kBenchmark.buildPrompt(item, { chat: false });
    expect(prompt.kind).toBe('completion');
    const text = promptText(prompt);
    expect(text.startsWith(`Answer the following questions.\n\nQuestion: There are 15 trees in the grove.`)).toBe(true);
    expect(text).toContain(`\nAnswer: ${PUBLISHED_FIRST}\n\nQuestion: If there are 3 cars`);
    expect(text).toContain(`\nAnswer: ${PUBLISHED_LAST}\n\nQuestion: ${item.question}\nAnswer:`);
    expect(text.endsWith(`Question: ${item.question}\nAnswer:`)).toBe(true);
    expect(text.match(/\nAnswer: /g)).toHaveLength(8);
    expect(gsm8kBenchmark.buildPrompt(item, { chat: true })).toEqual({ kind: 'chat', messages: [{ role: 'user', content: text }] });
  });

  it('uses greedy decoding that stops at the next question', () => {
    expect(gsm8kBenchmark.sampling).toEqual({ maxTokens: 512, temperature: 0, topP: 1, stop: ['\n\nQuestion:'] });
    expect(gsm8kBenchmark.promptTemplateHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('scores the reference completion 1 and the wrong completion 0 for all 1319 items, chat and completion', async () => {
    const failures: string[] = [];
    for (const item of items) {
      for (const chat of [false, true]) {
        const reference = gsm8kBenchmark.referenceCompletion(item, { chat });
        const wrong = gsm8kBenchmark.wrongCompletion(item, { chat });
        const good = await gsm8kBenchmark.score(item, reference, { executor: noExecutor });
        const bad = await gsm8kBenchmark.score(item, wrong, { executor: noExecutor });
        if (good.score !== 1 || !good.passed) failures.push(`${item.id} reference (chat=${chat}): ${good.reason}`);
        if (bad.score !== 0 || bad.passed) failures.push(`${item.id} wrong (chat=${chat}): ${bad.reason}`);
        if (reference.includes('<<') || reference.includes('####') || reference.includes('\n\nQuestion:')) failures.push(`${item.id}: reference not clean`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('writes the reference as the exemplars do, without calculator annotations', () => {
    const item = items[0] as Gsm8kItem;
    expect(gsm8kBenchmark.referenceCompletion(item, { chat: false })).toBe(
      ' Janet sells 16 - 3 - 4 = 9 duck eggs a day. She makes 9 * 2 = $18 every day at the farmer\u2019s market. So the answer is 18.',
    );
    expect(gsm8kBenchmark.wrongCompletion(item, { chat: true }).endsWith('So the answer is 19.')).toBe(true);
  });

  it('explains a wrong or missing answer', async () => {
    const item = items[0] as Gsm8kItem;
    expect(await gsm8kBenchmark.score(item, ' So the answer is 17.', { executor: noExecutor })).toEqual({
      score: 0,
      passed: false,
      extracted: '17',
      reason: 'expected 18, got 17',
    });
    expect((await gsm8kBenchmark.score(item, 'no idea', { executor: noExecutor })).reason).toMatch(/no number/);
  });

  it('rejects a file without #### answers, and a missing file', () => {
    expect(() => gsm8kBenchmark.parse(new Map())).toThrow(/gsm8k\/test.jsonl was not provided/);
    expect(() => gsm8kBenchmark.parse(new Map([[gsm8kBenchmark.dataset.name, Buffer.from('{"question":"q","answer":"no marker"}\n')]]))).toThrow(BenchmarkException);
    expect(() => gsm8kBenchmark.parse(new Map([[gsm8kBenchmark.dataset.name, Buffer.from('{"question":1}\n')]]))).toThrow(/row 1/);
  });
});
