import { describe, expect, it } from 'vitest';
import { LEMUR_PAPER_SUITE } from './lemur-paper.suite';
import { suiteAxes, type SuiteMemberScore } from './suite-axes';

// Lemur-70B-Chat's published MINT success counts (../shared/research/lemur-evals.md §2b), items per task.
const LEMUR_CHAT: SuiteMemberScore[] = [
  { key: 'mint-gsm8k', value: 28 / 48, n: 48 },
  { key: 'mint-math', value: 6 / 100, n: 100 },
  { key: 'mint-theoremqa', value: 4 / 49, n: 49 },
  { key: 'mint-hotpotqa', value: 19 / 43, n: 43 },
  { key: 'mint-mmlu', value: 43 / 76, n: 76 },
  { key: 'mint-alfworld', value: 80 / 134, n: 134 },
  { key: 'mint-humaneval+feedback', value: 31 / 45, n: 45 },
  { key: 'mint-mbpp+feedback', value: 30 / 91, n: 91 },
];

const axis = (scores: SuiteMemberScore[], name: string) => suiteAxes(LEMUR_PAPER_SUITE, scores).find((a) => a.name === name)!;

describe('suiteAxes', () => {
  it.each([
    // The radar's numbers, reproduced instance-weighted from the published per-task counts.
    { name: 'tool-use', value: 0.3165, n: 316, missing: [] as string[] },
    { name: 'exploration-physical', value: 0.597, n: 134, missing: [] },
    { name: 'feedback-coding', value: 0.4485, n: 136, missing: [] },
    { name: 'self-debug', value: null, n: 0, missing: ['intercode-sql', 'intercode-bash', 'mint-humaneval', 'mint-mbpp'] },
    { name: 'exploration-digital', value: null, n: 0, missing: ['intercode-ctf', 'webarena'] },
  ])('$name over Lemur-70B-Chat\'s published counts is $value', ({ name, value, n, missing }) => {
    const a = axis(LEMUR_CHAT, name);
    if (value === null) expect(a.value).toBeNull();
    else expect(a.value).toBeCloseTo(value, 4);
    expect(a.n).toBe(n);
    expect(a.missing).toEqual(missing);
  });

  it.each([
    { name: 'weighs by instances, not by member', scores: [{ key: 'mint-gsm8k', value: 1, n: 1 }, { key: 'mint-math', value: 0, n: 3 }], value: 0.25, missing: 3 },
    { name: 'a member without scores yet is missing, not a zero', scores: [{ key: 'mint-gsm8k', value: 0.5, n: 4 }, { key: 'mint-math', value: null, n: 0 }], value: 0.5, missing: 4 },
    { name: 'no members scored gives null', scores: [], value: null, missing: 5 },
  ])('tool-use $name', ({ scores, value, missing }) => {
    const a = axis(scores, 'tool-use');
    expect(a.value).toBe(value);
    expect(a.missing).toHaveLength(missing);
  });
});
