import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchmarkRef, promptText } from '../benchmark';
import { parseJsonLines } from '../dataset/jsonl';
import { sha256Hex } from '../hash';
import { createOracleIndex } from '../oracle/oracle-index';
import { getBenchmark, listBenchmarks } from '../registry';
import { mapWithConcurrency, PythonProcessExecutor } from '../testing/python-process.executor';
import { SHARED_DATASETS_DIR } from '../testing/shared-datasets';
import { MBPP_EXEMPLARS } from './mbpp-exemplars';
import { MbppBenchmark, type MbppItem, mbppBenchmark } from './mbpp.benchmark';

const executor = new PythonProcessExecutor();
const CONCURRENCY = 3;
// Reference solutions known to fail (none: every reference must score 1).
const KNOWN_REFERENCE_FAILURES: Record<string, RegExp> = {};
// Tasks whose test setup needs a helper the solution defines (367's Node class): a wrong answer that defines only the
// tested function fails there with a NameError, which still scores 0.
const SETUP_NEEDS_SOLUTION = new Set(['mbpp/367']);

describe('mbpp@1.0.0', () => {
  let bytes: Buffer;
  let items: MbppItem[];
  const byId = (id: string): MbppItem => items.find((i) => i.id === id) as MbppItem;

  beforeAll(() => {
    bytes = readFileSync(join(SHARED_DATASETS_DIR, mbppBenchmark.dataset.name));
    items = mbppBenchmark.parse(new Map([[mbppBenchmark.dataset.name, bytes]]));
  });

  it('parses the 500 test-split tasks (ids 11-510) of the recorded file', () => {
    expect(sha256Hex(bytes)).toBe(mbppBenchmark.dataset.files[0]!.sha256);
    expect(items).toHaveLength(mbppBenchmark.dataset.items);
    expect(items.map((i) => i.taskId)).toEqual(Array.from({ length: 500 }, (_, k) => k + 11));
    expect(items[0]).toMatchObject({ id: 'mbpp/11', entryPoint: 'remove_Occ', testSetupCode: '' });
    expect(items.every((i) => i.tests.length === 3)).toBe(true);
  });

  it('holds the exemplars verbatim as tasks 2-4 of the dataset', () => {
    const rows = parseJsonLines('mbpp/mbpp.jsonl', bytes) as { task_id: number; text: string; test_list: string[]; code: string }[];
    const upstream = rows.filter((r) => [2, 3, 4].includes(r.task_id)).map((r) => ({ taskId: r.task_id, text: r.text, tests: r.test_list, code: r.code }));
    expect(MBPP_EXEMPLARS).toEqual(upstream);
  });

  it('uses the open-instruct sampling defaults', () => {
    expect(mbppBenchmark.sampling).toEqual({ maxTokens: 650, temperature: 0, topP: 1, stop: ['[DONE]', '\nassert', '\nprint'] });
  });

  it('builds the 3-shot [BEGIN]/[DONE] prompt ending at [BEGIN], the same text for chat', () => {
    const item = byId('mbpp/11');
    const prompt = mbppBenchmark.buildPrompt(item, { chat: false });
    const text = prompt.kind === 'completion' ? prompt.text : '';
    const head = 'You are an expert Python programmer, and here is your task: ';
    expect(text.startsWith(`${head}Write a function to find the similar elements from the given two tuple lists. Your code should pass these tests:\n\n`)).toBe(true);
    for (const e of MBPP_EXEMPLARS) expect(text).toContain(`${head}${e.text} Your code should pass these tests:\n\n${e.tests.join('\n')}\n[BEGIN]\n${e.code}\n[DONE]\n`);
    expect(text.split('[DONE]\n')).toHaveLength(4);
    expect(text.endsWith(`${head}${item.text} Your code should pass these tests:\n\n${item.tests.join('\n')}\n[BEGIN]\n`)).toBe(true);
    expect(mbppBenchmark.buildPrompt(item, { chat: true })).toEqual({ kind: 'chat', messages: [{ role: 'user', content: text }] });
  });

  // Every task in completion form; in chat form (the same programs, read out of a fenced block) every tenth task.
  for (const chat of [false, true]) {
    it(`scores reference 1 and wrong 0 on ${chat ? 'every tenth task (chat)' : 'all 500 tasks (completion)'}`, async () => {
      const tasks = chat ? items.filter((_, i) => i % 10 === 0) : items;
      const results = await mapWithConcurrency(tasks, CONCURRENCY, async (item) => {
        const good = await mbppBenchmark.score(item, mbppBenchmark.referenceCompletion(item, { chat }), { executor });
        const bad = await mbppBenchmark.score(item, mbppBenchmark.wrongCompletion(item, { chat }), { executor });
        return { item, good, bad };
      });
      const referenceFailures = results.filter(({ good }) => good.score !== 1 || !good.passed);
      expect(referenceFailures.map(({ item }) => item.id)).toEqual(Object.keys(KNOWN_REFERENCE_FAILURES));
      for (const { item, good } of referenceFailures) expect(good.reason).toMatch(KNOWN_REFERENCE_FAILURES[item.id] as RegExp);
      expect(results.filter(({ bad }) => bad.score !== 0 || bad.passed).map(({ item }) => item.id)).toEqual([]);
      // The wrong answer must fail on the tests, not on a syntax error of our own making (a known failure fails earlier).
      expect(results.filter(({ item, bad }) => !(item.id in KNOWN_REFERENCE_FAILURES) && !SETUP_NEEDS_SOLUTION.has(item.id) && /syntax error|is not defined/.test(bad.reason)).map(({ item, bad }) => `${item.id}: ${bad.reason}`)).toEqual([]);
    }, 480_000);
  }

  it('reads the code between [BEGIN] and [DONE], or from the python block defining the function', async () => {
    const item = byId('mbpp/11');
    const beginDone = await mbppBenchmark.score(item, `Sure.\n[BEGIN]\n${item.code}\n[DONE]\nDone.`, { executor });
    const fenced = await mbppBenchmark.score(item, `\`\`\`python\nprint(remove_Occ("hello","l"))\n\`\`\`\n\`\`\`python\n${item.code}\n\`\`\``, { executor });
    expect([beginDone.passed, beginDone.reason]).toEqual([true, 'passed (begin-done)']);
    expect([fenced.passed, fenced.reason]).toEqual([true, 'passed (fenced)']);
  });

  it('cuts a bare completion at the stop sequences', async () => {
    const item = byId('mbpp/11');
    const result = await mbppBenchmark.score(item, `${item.code}\nassert remove_Occ("a","a") == "wrong"\nprint(undefined_name)`, { executor });
    expect(result.passed).toBe(true);
    expect(result.extracted).toBe(item.code);
  });

  it('runs test_setup_code after the completion (its setup may use the solution) and says why a program failed', async () => {
    const item = byId('mbpp/367');
    expect(item.testSetupCode).toContain('root = Node(1)');
    const result = await mbppBenchmark.score(item, item.code, { executor });
    expect(result).toMatchObject({ score: 1, passed: true });
    const wrong = await mbppBenchmark.score(byId('mbpp/12'), 'def sort_matrix(M):\n    return M\n', { executor });
    expect(wrong.reason).toMatch(/^assertion failed/);
  });

  it('reports a timeout', async () => {
    const quick = new MbppBenchmark({ timeoutMs: 500 });
    const result = await quick.score(byId('mbpp/11'), 'def remove_Occ(s, ch):\n    while True:\n        pass\n', { executor });
    expect(result).toMatchObject({ score: 0, passed: false, reason: 'timeout: the program ran longer than 500 ms' });
  });

  for (const chat of [false, true]) {
    it(`lets the oracle index find every task from its own prompt (chat=${chat})`, () => {
      const index = createOracleIndex([{ benchmark: mbppBenchmark, items }]);
      const misses = items.filter((item) => index.lookup(promptText(mbppBenchmark.buildPrompt(item, { chat })))?.item.id !== item.id);
      expect(misses.map((m) => m.id)).toEqual([]);
      const wrapped = `<|user|>\n${promptText(mbppBenchmark.buildPrompt(byId('mbpp/510'), { chat }))}\n<|assistant|>\n`;
      expect(index.lookup(wrapped)?.item.id).toBe('mbpp/510');
    });
  }

  it('gives no oracle key to a prompt without an MBPP task', () => {
    expect(mbppBenchmark.oracleProbes('Question: What is 2 + 2?\nAnswer:')).toEqual([]);
  });
});

describe('mbpp in the registry', () => {
  it('is listed and resolvable as mbpp@1.0.0', () => {
    expect(listBenchmarks().map(benchmarkRef)).toContain('mbpp@1.0.0');
    expect(getBenchmark('mbpp')).toBe(mbppBenchmark);
  });
});
