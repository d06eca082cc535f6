import { beforeAll, describe, expect, it } from 'vitest';
import { type CodeExecutor, promptText } from '../benchmark';
import { BenchmarkException } from '../benchmark.exception';
import { createOracleIndex } from '../oracle/oracle-index';
import { readSharedDataset } from '../testing/shared-datasets';
import { extractMmluLetter } from './mmlu-answer';
import { type MmluItem, mmluBenchmark } from './mmlu.benchmark';

const noExecutor: CodeExecutor = { execute: () => Promise.reject(new Error('MMLU must not execute code')) };

describe('mmlu@2.0.0', () => {
  let items: MmluItem[];

  beforeAll(() => {
    items = mmluBenchmark.parse(readSharedDataset(mmluBenchmark));
  });

  it('parses the 14,042 test questions of 57 subjects with unique ids', () => {
    expect(items).toHaveLength(14_042);
    expect(new Set(items.map((i) => i.subject)).size).toBe(57);
    // The run summary's breakdown is per subject.
    expect(new Set(items.map((i) => mmluBenchmark.group(i)))).toEqual(new Set(items.map((i) => i.subject)));
    expect(new Set(items.map((i) => i.id)).size).toBe(14_042);
    // abstract_algebra row 1 of the original data.tar has answer B (SOURCE.md's spot check).
    expect(items[0]).toMatchObject({ id: 'mmlu/abstract_algebra/0', answer: 'B', choices: ['0', '4', '2', '6'] });
    const counts = { A: 0, B: 0, C: 0, D: 0 };
    for (const item of items) counts[item.answer] += 1;
    expect(counts).toEqual({ A: 3222, B: 3462, C: 3582, D: 3776 });
  });

  it('builds the open-instruct 5-shot prompt from the subject dev split', () => {
    const item = items[0] as MmluItem;
    const text = promptText(mmluBenchmark.buildPrompt(item, { chat: false }));
    expect(text.startsWith('The following are multiple choice questions (with answers) about  abstract algebra.\n\nFind all c in Z_3')).toBe(true);
    expect(text.match(/\nAnswer: [ABCD]\n\n/g)).toHaveLength(5);
    expect(text.endsWith(`${item.question}\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:`)).toBe(true);
    expect(mmluBenchmark.buildPrompt(item, { chat: true })).toEqual({ kind: 'chat', messages: [{ role: 'user', content: text }] });
    expect(mmluBenchmark.sampling).toMatchObject({ temperature: 0, stop: ['\n'] });
  });

  it('scores every reference answer 1 and every wrong answer 0, chat and completion', async () => {
    const failures: string[] = [];
    for (const item of items) {
      for (const chat of [false, true]) {
        const good = await mmluBenchmark.score(item, mmluBenchmark.referenceCompletion(item, { chat }), { executor: noExecutor });
        const bad = await mmluBenchmark.score(item, mmluBenchmark.wrongCompletion(item, { chat }), { executor: noExecutor });
        if (good.score !== 1) failures.push(`${item.id} reference (chat=${chat}): ${good.reason}`);
        if (bad.score !== 0) failures.push(`${item.id} wrong (chat=${chat}): ${bad.reason}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('finds every item from its prompt (the simulator oracle), chat and completion', () => {
    const index = createOracleIndex([{ benchmark: mmluBenchmark, items }]);
    // 27 test rows repeat another row of their subject word for word (same answer): either copy is a right match.
    const same = (a: MmluItem, b: MmluItem): boolean =>
      a.subject === b.subject && a.question === b.question && a.choices.join('\n') === b.choices.join('\n') && a.answer === b.answer;
    let duplicates = 0;
    const missed = items.filter((item) => {
      const match = index.lookup(promptText(mmluBenchmark.buildPrompt(item, { chat: item.id.length % 2 === 0 })))?.item as MmluItem | undefined;
      if (match !== undefined && match.id !== item.id && same(match, item)) duplicates += 1;
      return match === undefined || !same(match, item);
    });
    expect(missed.map((i) => i.id)).toEqual([]);
    expect(duplicates).toBe(27);
    expect(index.lookup('Question: what is 2+2?\nAnswer:')).toBeUndefined();
  });

  it.each([
    ['B', 'B'],
    [' C', 'C'],
    ['(D) 42', 'D'],
    ['A. Paris', 'A'],
    ['The answer is: B', 'B'],
    ['the answer is (c).', 'C'],
    ['A good guess: the answer is D', 'D'],
    ['Answer: A', 'A'],
    ['I am not sure.', undefined],
    ['E', undefined],
    ['', undefined],
    ['Based on the options, none fits', undefined],
  ])('reads the option letter of %j', (completion, letter) => {
    expect(extractMmluLetter(completion)).toBe(letter);
  });

  it('explains a wrong or unreadable answer', async () => {
    const item = items[0] as MmluItem;
    expect((await mmluBenchmark.score(item, ' C', { executor: noExecutor })).reason).toBe('expected B, chose C');
    expect((await mmluBenchmark.score(item, 'no idea', { executor: noExecutor })).reason).toMatch(/no option letter/);
  });

  it('rejects a malformed subject file, naming it', () => {
    const files = new Map(readSharedDataset(mmluBenchmark));
    files.set('mmlu/test/anatomy_test.csv', Buffer.from('question,choice0,choice1,choice2,choice3,answer\nq,a,b,c,d,7\n'));
    expect(() => mmluBenchmark.parse(files)).toThrow(/anatomy_test.csv: row 2/);
    files.delete('mmlu/dev/virology_dev.csv');
    expect(() => mmluBenchmark.parse(files)).toThrow(BenchmarkException);
  });
});
