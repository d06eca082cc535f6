import { beforeAll, describe, expect, it } from 'vitest';
import { type ScoreResult } from '../benchmark';
import { mapWithConcurrency, PythonProcessExecutor } from '../testing/python-process.executor';
import { readSharedDataset } from '../testing/shared-datasets';
import { HumanEvalBenchmark, type HumanEvalItem, humanEvalBenchmark } from './humaneval.benchmark';

const executor = new PythonProcessExecutor();
const CONCURRENCY = 3;

describe('humaneval@1.0.0', () => {
  let items: HumanEvalItem[];
  const byId = (id: string): HumanEvalItem => items.find((i) => i.id === id) as HumanEvalItem;

  beforeAll(() => {
    items = humanEvalBenchmark.parse(readSharedDataset(humanEvalBenchmark));
  });

  it('parses the 164 gzipped problems', () => {
    expect(items).toHaveLength(164);
    expect(items[0]).toMatchObject({ id: 'HumanEval/0', entryPoint: 'has_close_elements' });
  });

  it('uses the open-instruct sampling defaults', () => {
    expect(humanEvalBenchmark.sampling).toEqual({ maxTokens: 512, temperature: 0.2, topP: 0.95, stop: ['\nclass', '\ndef', '\n#', '\nif', '\nprint'] });
  });

  it('sends the raw prompt for completion and a python block for chat', () => {
    const item = items[0] as HumanEvalItem;
    expect(humanEvalBenchmark.buildPrompt(item, { chat: false })).toEqual({ kind: 'completion', text: item.prompt });
    const chat = humanEvalBenchmark.buildPrompt(item, { chat: true });
    expect(chat.kind).toBe('chat');
    expect(chat.kind === 'chat' && chat.messages[0]?.content).toContain(`\`\`\`python\n${item.prompt}\`\`\``);
  });

  for (const chat of [false, true]) {
    it(`scores reference 1 and wrong 0 on all 164 problems (chat=${chat})`, async () => {
      const results = await mapWithConcurrency(items, CONCURRENCY, async (item) => {
        const good = await humanEvalBenchmark.score(item, humanEvalBenchmark.referenceCompletion(item, { chat }), { executor });
        const bad = await humanEvalBenchmark.score(item, humanEvalBenchmark.wrongCompletion(item, { chat }), { executor });
        return { item, good, bad };
      });
      const failures = results.flatMap(({ item, good, bad }) => [
        ...(good.score === 1 && good.passed ? [] : [`${item.id} reference: ${good.reason}`]),
        ...(bad.score === 0 && !bad.passed ? [] : [`${item.id} wrong: ${bad.reason}`]),
      ]);
      expect(failures).toEqual([]);
      // The wrong answer must fail on the tests, not on a syntax error of our own making.
      expect(results.filter(({ bad }) => /syntax error/.test(bad.reason))).toEqual([]);
    }, 120_000);
  }

  it('accepts a flush-left body-only chat answer and a bare full function', async () => {
    const item = byId('HumanEval/0');
    const flushLeft = '```python\nfor i, a in enumerate(numbers):\n    for j, b in enumerate(numbers):\n        if i != j and abs(a - b) < threshold:\n            return True\nreturn False\n```';
    const fullBare = `def has_close_elements(numbers, threshold):\n    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n`;
    const body = await humanEvalBenchmark.score(item, flushLeft, { executor });
    const full = await humanEvalBenchmark.score(item, fullBare, { executor });
    expect([body.passed, body.reason]).toEqual([true, 'passed (body)']);
    expect([full.passed, full.reason]).toEqual([true, 'passed (full-function)']);
  });

  it('cuts a bare completion at the stop sequences', async () => {
    const item = byId('HumanEval/0');
    const result = await humanEvalBenchmark.score(item, `${item.canonicalSolution}\nprint(undefined_name)\n`, { executor });
    expect(result.passed).toBe(true);
    expect(result.extracted).toBe(item.canonicalSolution);
  });

  it.each<[string, string, RegExp]>([
    ['assertion', '    return not True\n', /^assertion failed/],
    ['syntax error', '    return (\n', /^syntax error \(SyntaxError\)/],
    ['runtime error', '    return numbers[10 ** 6]\n', /^IndexError: list index out of range/],
  ])('says why on %s', async (_what, completion, reason) => {
    const result: ScoreResult = await humanEvalBenchmark.score(byId('HumanEval/0'), completion, { executor });
    expect(result.score).toBe(0);
    expect(result.reason).toMatch(reason);
    expect(result.execution?.exitCode).not.toBe(0);
  });

  it('reports a timeout', async () => {
    const quick = new HumanEvalBenchmark({ timeoutMs: 500 });
    const result = await quick.score(byId('HumanEval/0'), '    while True:\n        pass\n', { executor });
    expect(result).toMatchObject({ score: 0, passed: false, reason: 'timeout: the program ran longer than 500 ms' });
    expect(result.execution?.timedOut).toBe(true);
  });
});
