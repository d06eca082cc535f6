import { beforeAll, describe, expect, it } from 'vitest';
import { type CodeExecutor, promptText } from '../benchmark';
import { createOracleIndex } from '../oracle/oracle-index';
import { readSharedDataset } from '../testing/shared-datasets';
import { bbhAnswersMatch, extractBbhAnswer } from './bbh-answer';
import { type BbhItem, bbhBenchmark, bbhDirectBenchmark } from './bbh.benchmark';

const noExecutor: CodeExecutor = { execute: () => Promise.reject(new Error('BBH must not execute code')) };

describe.each([
  ['bbh', bbhBenchmark],
  ['bbh-direct', bbhDirectBenchmark],
])('%s@1.0.0', (name, benchmark) => {
  let items: BbhItem[];

  beforeAll(() => {
    items = benchmark.parse(readSharedDataset(benchmark));
  });

  it('parses the 6,511 examples of 27 tasks', () => {
    expect(benchmark.name).toBe(name);
    expect(items).toHaveLength(6511);
    expect(new Set(items.map((i) => i.task)).size).toBe(27);
    expect(new Set(items.map((i) => benchmark.group(i))).size).toBe(27);
    expect(new Set(items.map((i) => i.id)).size).toBe(6511);
  });

  it('scores every reference answer 1 and every wrong answer 0, chat and completion', async () => {
    const failures: string[] = [];
    for (const item of items) {
      for (const chat of [false, true]) {
        const good = await benchmark.score(item, benchmark.referenceCompletion(item, { chat }), { executor: noExecutor });
        const bad = await benchmark.score(item, benchmark.wrongCompletion(item, { chat }), { executor: noExecutor });
        if (good.score !== 1) failures.push(`${item.id} reference (chat=${chat}): ${good.reason}`);
        if (bad.score !== 0) failures.push(`${item.id} wrong (chat=${chat}): ${bad.reason}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('finds every item from its prompt (the simulator oracle)', () => {
    const index = createOracleIndex([{ benchmark, items }]);
    const targetsOf = new Map<string, Set<string>>();
    for (const item of items) targetsOf.set(`${item.task}\n${item.input}`, (targetsOf.get(`${item.task}\n${item.input}`) ?? new Set()).add(item.target));
    let ambiguous = 0;
    const missed = items.filter((item) => {
      const match = index.lookup(promptText(benchmark.buildPrompt(item, { chat: item.id.length % 2 === 0 })))?.item as BbhItem | undefined;
      if (match === undefined || match.task !== item.task || match.input !== item.input) return true;
      // The dataset asks a few questions twice with different targets; a prompt cannot tell those apart.
      if (match.target !== item.target) ambiguous += 1;
      return match.target !== item.target && targetsOf.get(`${item.task}\n${item.input}`)!.size < 2;
    });
    expect(missed.map((i) => i.id)).toEqual([]);
    expect(ambiguous).toBeLessThanOrEqual(2);
  });
});

describe('BBH prompts as the harness builds them', () => {
  it('chain of thought: the task file from its third line, then Q/A', () => {
    const [item] = bbhBenchmark.parse(readSharedDataset(bbhBenchmark));
    const text = promptText(bbhBenchmark.buildPrompt(item!, { chat: false }));
    expect(text.startsWith('Evaluate the result of a random Boolean expression.\n\nQ: not ( ( not not True ) ) is\nA: Let\'s think step by step.')).toBe(true);
    expect(text.endsWith(`\n\nQ: ${item!.input}\nA:`)).toBe(true);
    expect(text.match(/\n\nQ: /g)).toHaveLength(4);
    expect(promptText(bbhBenchmark.buildPrompt(item!, { chat: true }))).toBe(text.slice(0, -'\nA:'.length));
  });

  it('answer only (--no_cot): each exemplar becomes "Q...\\nA: answer"', () => {
    const [item] = bbhDirectBenchmark.parse(readSharedDataset(bbhDirectBenchmark));
    const text = promptText(bbhDirectBenchmark.buildPrompt(item!, { chat: false }));
    expect(text.startsWith('Evaluate the result of a random Boolean expression.\n\nQ: not ( ( not not True ) ) is\nA: False.\n\nQ: True and False and not True and True is\nA: False.')).toBe(true);
    expect(text).not.toContain("Let's think step by step");
    expect(bbhDirectBenchmark.promptTemplateHash).not.toBe(bbhBenchmark.promptTemplateHash);
  });

  it.each([
    ["Let's think step by step.\nSo the answer is (B).", '(B)'],
    ['... the answer is False. More text.', 'False'],
    ['  (C)  ', '(C)'],
    ['no marker here', 'no marker here'],
  ])('extracts the prediction from %j', (output, prediction) => {
    expect(extractBbhAnswer(output)).toBe(prediction);
  });

  it.each([
    ['date_understanding', '(A)', '(a)', true],
    ['date_understanding', 'A', '(A)', true],
    ['date_understanding', '(B)', '(A)', false],
    ['movie_recommendation', 'Monsters Inc', 'Monsters, Inc', true],
    ['dyck_languages', ') ]', ') }', false],
    ['dyck_languages', ') ]', ')  ]', true],
    ['multistep_arithmetic_two', '11', '-11', false],
    ['multistep_arithmetic_two', '-11', '-11', true],
    ['sports_understanding', 'Yes', 'yes', true],
  ])('%s: %j vs target %j matches=%s', (task, prediction, target, expected) => {
    expect(bbhAnswersMatch(task, prediction, target)).toBe(expected);
  });
});
