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
])('%s@1.1.0', (name, benchmark) => {
  let items: BbhItem[];

  beforeAll(() => {
    items = benchmark.parse(readSharedDataset(benchmark));
  });

  it('parses the 6,511 examples of 27 tasks', () => {
    expect(`${benchmark.name}@${benchmark.version}`).toBe(`${name}@1.1.0`);
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
    ['cot', "Let's think step by step.\nSo the answer is (B).", '(B)'],
    ['cot', 'A - B = -163 - 56 = -219. So the answer is -219.', '-219'],
    ['cot', 'So, we need "]", ">". So the answer is ] >.', '] >'],
    // The harness's chain-of-thought reading knows "So the answer is" only, as every exemplar ends.
    ['cot', 'The answer is 24.', 'The answer is 24.'],
    ['cot', '  (C)  ', '(C)'],
    ['cot', 'no marker here', 'no marker here'],
    ['direct', ' 24.', '24'],
    ['direct', ' -24.', '-24'],
    ['direct', ' ) ] >.', ') ] >'],
    ['direct', ' ) ] >', ') ] >'],
    // Up to the first period, as the harness reads an answer-only output: the sentence, not the number in it.
    ['direct', 'The answer is 24.', 'The answer is 24'],
    ['direct', ' (A) 12/11/1937.', '(A)'],
    ['direct', ' (B) Monsters, Inc. is the one.', '(B)'],
    ['direct', ' [ ( ) ].', '[ ( ) ]'],
    ['direct', ' False.\n\nQ: not True is\nA: False.', 'False'],
    ['direct', ' valid', 'valid'],
  ] as const)('%s: extracts the prediction from %j', (variant, output, prediction) => {
    expect(extractBbhAnswer(output, variant)).toBe(prediction);
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
    // A closing sentence period goes where punctuation is kept; nothing else does.
    ['dyck_languages', ') ] >.', ') ] >', true],
    ['dyck_languages', ') ] >.', ') ]', false],
    ['multistep_arithmetic_two', '-24.', '-24', true],
    ['multistep_arithmetic_two', '-24.', '24', false],
    ['multistep_arithmetic_two', '2.4', '24', false],
    ['sports_understanding', 'Yes', 'yes', true],
  ])('%s: %j vs target %j matches=%s', (task, prediction, target, expected) => {
    expect(bbhAnswersMatch(task, prediction, target)).toBe(expected);
  });

  it.each([
    // Answer only, as the exemplars answer ("A: -219."): the period must not cost the point.
    ['bbh-direct', 'multistep_arithmetic_two', ' 24.', '24', true],
    ['bbh-direct', 'multistep_arithmetic_two', ' -24.', '-24', true],
    ['bbh-direct', 'multistep_arithmetic_two', ' -24.', '24', false],
    ['bbh-direct', 'multistep_arithmetic_two', ' 24.', '-24', false],
    ['bbh-direct', 'multistep_arithmetic_two', 'The answer is 24.', '24', false],
    ['bbh-direct', 'dyck_languages', ' ) ] >.', ') ] >', true],
    ['bbh-direct', 'dyck_languages', ' ) ] >.', ') ]', false],
    ['bbh-direct', 'date_understanding', ' (A) 12/11/1937.', '(A)', true],
    ['bbh-direct', 'sports_understanding', ' yes.', 'yes', true],
    ['bbh', 'multistep_arithmetic_two', "Let's think step by step.\nSo the answer is -24.", '-24', true],
    ['bbh', 'multistep_arithmetic_two', "Let's think step by step.\nSo the answer is -24.", '24', false],
    ['bbh', 'multistep_arithmetic_two', 'The answer is 24.', '24', false],
    ['bbh', 'multistep_arithmetic_two', '24.', '24', true],
    ['bbh', 'dyck_languages', "Let's think step by step.\nSo the answer is ) ] >.", ') ] >', true],
    ['bbh', 'dyck_languages', ') ] >.', ') ] >', true],
  ])('%s %s: %j vs target %j scores passed=%s', async (name, task, completion, target, passed) => {
    const benchmark = name === 'bbh' ? bbhBenchmark : bbhDirectBenchmark;
    const item: BbhItem = { id: `bbh/${task}/0`, task, input: 'Q', target, fewShot: '', wrongTarget: 'x' };
    expect((await benchmark.score(item, completion, { executor: noExecutor })).passed).toBe(passed);
  });

  it('stops answer-only generation at the first newline, as the harness does, and a chain of thought at a blank line', () => {
    expect(bbhDirectBenchmark.sampling.stop).toEqual(['\n']);
    expect(bbhBenchmark.sampling.stop).toEqual(['\n\n']);
  });
});
