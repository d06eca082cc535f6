import { beforeAll, describe, expect, it } from 'vitest';
import { type CodeExecutor, promptText } from '../benchmark';
import { createOracleIndex } from '../oracle/oracle-index';
import { readSharedDataset } from '../testing/shared-datasets';
import { bbhAnswersMatch, extractBbhAnswer } from './bbh-answer';
import { type BbhBenchmark, type BbhItem, bbhBenchmark, bbhDirectBenchmark } from './bbh.benchmark';

const noExecutor: CodeExecutor = { execute: () => Promise.reject(new Error('BBH must not execute code')) };

/** What a server returns of a completion under the benchmark's stop strings (cut before the first one, as vLLM does). */
function stopped(benchmark: BbhBenchmark, completion: string): string {
  const cuts = benchmark.sampling.stop.map((stop) => completion.indexOf(stop)).filter((at) => at >= 0);
  return cuts.length === 0 ? completion : completion.slice(0, Math.min(...cuts));
}

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

  it('scores every reference answer 1 and every wrong answer 0 on each of the 27 tasks, chat and completion, whole or cut at the stop', async () => {
    const failures: string[] = [];
    const accuracy = new Map<string, { reference: number; wrong: number; n: number }>();
    for (const item of items) {
      for (const chat of [false, true]) {
        for (const cut of [false, true]) {
          const answer = (completion: string) => (cut ? stopped(benchmark, completion) : completion);
          const good = await benchmark.score(item, answer(benchmark.referenceCompletion(item, { chat })), { executor: noExecutor });
          const bad = await benchmark.score(item, answer(benchmark.wrongCompletion(item, { chat })), { executor: noExecutor });
          if (good.score !== 1) failures.push(`${item.id} reference (chat=${chat}, cut=${cut}): ${good.reason}`);
          if (bad.score !== 0) failures.push(`${item.id} wrong (chat=${chat}, cut=${cut}): ${bad.reason}`);
          const task = accuracy.get(item.task) ?? { reference: 0, wrong: 0, n: 0 };
          accuracy.set(item.task, { reference: task.reference + good.score, wrong: task.wrong + bad.score, n: task.n + 1 });
        }
      }
    }
    expect(failures).toEqual([]);
    expect(accuracy.size).toBe(27);
    for (const [task, { reference, wrong, n }] of accuracy) expect([task, reference / n, wrong / n]).toEqual([task, 1, 0]);
  });

  it('finds every item from its prompt among both variants, answering with its own variant (the simulator oracle)', async () => {
    const index = createOracleIndex([
      { benchmark: bbhBenchmark, items: bbhBenchmark.parse(readSharedDataset(bbhBenchmark)) },
      { benchmark: bbhDirectBenchmark, items: bbhDirectBenchmark.parse(readSharedDataset(bbhDirectBenchmark)) },
    ]);
    const targetsOf = new Map<string, Set<string>>();
    for (const item of items) targetsOf.set(`${item.task}\n${item.input}`, (targetsOf.get(`${item.task}\n${item.input}`) ?? new Set()).add(item.target));
    let ambiguous = 0;
    const missed = items.filter((item) => {
      const found = index.lookup(promptText(benchmark.buildPrompt(item, { chat: item.id.length % 2 === 0 })));
      // The other variant's answer would not survive this variant's stop (a chain of thought cut at its first line).
      if (found?.benchmark !== benchmark) return true;
      const match = found.item as BbhItem;
      if (match.task !== item.task || match.input !== item.input) return true;
      // The dataset asks a few questions twice with different targets; a prompt cannot tell those apart.
      if (match.target !== item.target) ambiguous += 1;
      return match.target !== item.target && targetsOf.get(`${item.task}\n${item.input}`)!.size < 2;
    });
    expect(missed.map((i) => i.id)).toEqual([]);
    expect(ambiguous).toBeLessThanOrEqual(2);
    // What the simulator's oracle and wrong modes send for one item of each task, cut at the stop, scores 1 and 0.
    const firstOfTask = items.filter((item, k) => k === 0 || items[k - 1]!.task !== item.task);
    expect(firstOfTask).toHaveLength(27);
    for (const item of firstOfTask) {
      const { benchmark: answering, item: found } = index.lookup(promptText(benchmark.buildPrompt(item, { chat: false })))!;
      const oracle = stopped(benchmark, answering.referenceCompletion(found, { chat: false }));
      const wrong = stopped(benchmark, answering.wrongCompletion(found, { chat: false }));
      expect([item.id, (await benchmark.score(item, oracle, { executor: noExecutor })).score]).toEqual([item.id, 1]);
      expect([item.id, (await benchmark.score(item, wrong, { executor: noExecutor })).score]).toEqual([item.id, 0]);
    }
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

  it('stops answer-only generation at the first newline, as the harness does, and a chain of thought at a blank line', () => {
    expect(bbhDirectBenchmark.sampling.stop).toEqual(['\n']);
    expect(bbhBenchmark.sampling.stop).toEqual(['\n\n']);
  });

  it.each([
    ['cot', "Let's think step by step.\nSo the answer is (B).", '(B)'],
    ['cot', '... the answer is False. More text.', 'False'],
    ['cot', '  (C)  ', '(C)'],
    ['cot', 'no marker here', 'no marker here'],
    ['direct', ' 24.', '24'],
    ['direct', ' -24.', '-24'],
    ['direct', ' ) ] >.', ') ] >'],
    ['direct', ' ) ] >', ') ] >'],
    ['direct', ' [ ( ) ].', '[ ( ) ]'],
    // Up to the first period, as the harness reads an answer-only output: the sentence, not the number in it.
    ['direct', 'The answer is 24.', 'The answer is 24'],
    ['direct', 'The answer is (B).', '(B)'],
    ['direct', ' (A) 12/11/1937.', '(A)'],
    ['direct', ' (B) Monsters, Inc. is the one.', '(B)'],
    ['direct', ' False.\n\nQ: not True is\nA: False.', 'False'],
    ['direct', ' (C)\nBecause it was moved. So (A).', '(C)'],
    ['direct', '\n\n  True.\n', 'True'],
    ['direct', ' valid', 'valid'],
    ['direct', '', ''],
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
    // Closing sentence punctuation goes where punctuation is kept; nothing else does.
    ['dyck_languages', ') ] >.', ') ] >', true],
    ['dyck_languages', ') ] >.', ') ]', false],
    ['dyck_languages', ') ] > !', ') ] >', true],
    ['multistep_arithmetic_two', '-24.', '-24', true],
    ['multistep_arithmetic_two', '-24!', '-24', true],
    ['multistep_arithmetic_two', '-24.', '24', false],
    ['multistep_arithmetic_two', '2.4', '24', false],
    ['sports_understanding', 'Yes', 'yes', true],
  ])('%s: %j vs target %j matches=%s', (task, prediction, target, expected) => {
    expect(bbhAnswersMatch(task, prediction, target)).toBe(expected);
  });

  // What models write, scored whole (a chat run sends no stop strings, and an endpoint may ignore them).
  it.each([
    // Answer only, as the exemplars answer ("A: -219."): the period, spaces or case must not cost the point.
    ['bbh-direct', 'multistep_arithmetic_two', ' 24.', '24', 1],
    ['bbh-direct', 'multistep_arithmetic_two', '   24   ', '24', 1],
    ['bbh-direct', 'multistep_arithmetic_two', ' 24!', '24', 1],
    ['bbh-direct', 'multistep_arithmetic_two', ' -24.', '-24', 1],
    ['bbh-direct', 'multistep_arithmetic_two', ' -24.', '24', 0],
    ['bbh-direct', 'multistep_arithmetic_two', ' 24.', '-24', 0],
    ['bbh-direct', 'multistep_arithmetic_two', ' 2.4', '24', 0],
    // The harness reads "The answer is 24" here, not 24: answer only means the answer alone.
    ['bbh-direct', 'multistep_arithmetic_two', 'The answer is 24.', '24', 0],
    ['bbh-direct', 'dyck_languages', ' ) ] >.', ') ] >', 1],
    ['bbh-direct', 'dyck_languages', ' )  ]   > ', ') ] >', 1],
    ['bbh-direct', 'dyck_languages', ' ) ] >.', ') ]', 0],
    ['bbh-direct', 'date_understanding', ' (A)', '(A)', 1],
    ['bbh-direct', 'date_understanding', ' A', '(A)', 1],
    ['bbh-direct', 'date_understanding', ' a.', '(A)', 1],
    ['bbh-direct', 'date_understanding', ' (A) 12/11/1937.', '(A)', 1],
    ['bbh-direct', 'date_understanding', 'The answer is (B).', '(B)', 1],
    ['bbh-direct', 'date_understanding', 'The answer is (B).', '(A)', 0],
    ['bbh-direct', 'date_understanding', ' (C)\nBecause the meeting moved a day, the answer is (A).', '(C)', 1],
    ['bbh-direct', 'date_understanding', ' (C)\nBecause the meeting moved a day, the answer is (A).', '(A)', 0],
    ['bbh-direct', 'boolean_expressions', '\n\n  True.\nnot False is True, so True.', 'True', 1],
    ['bbh-direct', 'boolean_expressions', ' False.\n\nQ: not True is\nA: False.', 'True', 0],
    ['bbh-direct', 'sports_understanding', ' yes.', 'yes', 1],
    ['bbh-direct', 'sports_understanding', ' Yes', 'yes', 1],
    ['bbh-direct', 'sports_understanding', ' no.', 'yes', 0],
    ['bbh-direct', 'word_sorting', ' apple banana cherry.', 'apple banana cherry', 1],
    ['bbh-direct', 'formal_fallacies', ' invalid.', 'valid', 0],
    ['bbh-direct', 'web_of_lies', '', 'Yes', 0],
    ['bbh', 'multistep_arithmetic_two', "Let's think step by step.\nSo the answer is -24.", '-24', 1],
    ['bbh', 'multistep_arithmetic_two', "Let's think step by step.\nSo the answer is -24.", '24', 0],
    ['bbh', 'multistep_arithmetic_two', 'A = 3 + 4 = 7.\nB = 7 * 2 = 14.\nSo the answer is   14  .\n\nQ: next\nA: So the answer is 9.', '14', 1],
    ['bbh', 'multistep_arithmetic_two', 'The answer is 24.', '24', 1],
    ['bbh', 'multistep_arithmetic_two', ' 24.', '24', 1],
    ['bbh', 'dyck_languages', "Let's think step by step.\nSo the answer is ) ] >.", ') ] >', 1],
    ['bbh', 'dyck_languages', ') ] >.', ') ] >', 1],
    ['bbh', 'date_understanding', 'So the answer is (A).', '(A)', 1],
    ['bbh', 'date_understanding', 'So the answer is A.', '(A)', 1],
    ['bbh', 'date_understanding', 'The answer is (B).', '(B)', 1],
    ['bbh', 'date_understanding', 'The answer is (B).', '(A)', 0],
    // A chain of thought is read at "the answer is" only; the option rule belongs to the answer-only reading.
    ['bbh', 'date_understanding', ' (A) 12/11/1937.', '(A)', 0],
    ['bbh', 'sports_understanding', "Let's think step by step.\nJoao Moutinho is a soccer player.\nSo the answer is no.", 'yes', 0],
  ] as const)('%s %s: %j vs target %j scores %s', async (name, task, completion, target, score) => {
    const benchmark = name === 'bbh' ? bbhBenchmark : bbhDirectBenchmark;
    const item: BbhItem = { id: `bbh/${task}/0`, task, input: 'Q', target, fewShot: '', wrongTarget: 'x' };
    expect((await benchmark.score(item, completion, { executor: noExecutor })).score).toBe(score);
  });
});
