import { describe, expect, it } from 'vitest';
import { pyNumberRepr, pyRound2, pyRowsRepr, pyStrRepr, pyTupleRepr } from './intercode-python';
import { intercodeSqlReward, kendallTauB } from './intercode-sql-reward';

describe('InterCode-SQL reward (SqlEnv.get_reward)', () => {
  it.each([
    ['identical results in the same order', [[1], [2], [3]], [[1], [2], [3]], 1, false],
    ['the same rows reversed: tau -1 scales the IoU to -1', [[3], [2], [1]], [[1], [2], [3]], -1, false],
    ['one of two rows: IoU 0.5, tau undefined for one row', [[1]], [[1], [2]], 0.5, false],
    ['multiset counts: {1:2,3:1} vs {1:1,2:1} is 1/4', [[1], [1], [3]], [[1], [2]], 0.25, false],
    ['nothing in common', [['x']], [[1]], 0, false],
    ['both empty is a Python int 1', [], [], 1, true],
    ['an empty answer to a non-empty gold', [], [[1]], 0, false],
    ['one pair swapped of four: tau 2/3, rounded', [['a'], ['b'], ['d'], ['c']], [['a'], ['b'], ['c'], ['d']], 0.67, false],
    ['all common rows tied (the same row twice): tau undefined, IoU kept', [[7], [7]], [[7], [7], [8]], 2 / 3, false],
  ] as const)('%s', (_name, agent, gold, reward, int) => {
    const r = intercodeSqlReward(agent as unknown as (string | number)[][], gold as unknown as (string | number)[][]);
    expect(r.reward).toBeCloseTo(reward, 12);
    expect(r.int).toBe(int);
  });

  it('gives 0.0 when the action produced no rows to compare (an error or no result set)', () => {
    expect(intercodeSqlReward(null, [])).toMatchObject({ reward: 0, int: false });
  });

  it('compares rows as Python tuples: 1 and "1" differ, as int 1 and str "1" do upstream', () => {
    expect(intercodeSqlReward([['1']], [[1]]).reward).toBe(0);
    expect(intercodeSqlReward([[null, 'a']], [[null, 'a']]).reward).toBe(1);
  });

  it('ranks rows in Python string order for the sort correlation', () => {
    // "('B',)" < "('a',)" in code-point order, so the agent's order agrees with the gold's.
    expect(intercodeSqlReward([['B'], ['a']], [['B'], ['a']]).reward).toBe(1);
    expect(intercodeSqlReward([['a'], ['B']], [['B'], ['a']]).reward).toBe(-1);
  });
});

describe('kendallTauB (scipy.stats.kendalltau, variant b)', () => {
  it('is 1, -1, or NaN for fewer than 2 items or all ties', () => {
    expect(kendallTauB(['a', 'b', 'c'], ['a', 'b', 'c'])).toBe(1);
    expect(kendallTauB(['a', 'b', 'c'], ['c', 'b', 'a'])).toBe(-1);
    expect(kendallTauB(['a'], ['a'])).toBeNaN();
    expect(kendallTauB(['a', 'a'], ['a', 'b'])).toBeNaN();
  });

  it('corrects for ties on each side', () => {
    // x = a a b, y = a b c: pairs (0,1) tie in x; (0,2),(1,2) concordant → 2 / sqrt(2·3).
    expect(kendallTauB(['a', 'a', 'b'], ['a', 'b', 'c'])).toBeCloseTo(2 / Math.sqrt(6), 12);
  });

  it('refuses lists of different lengths', () => {
    expect(() => kendallTauB(['a'], [])).toThrow(/equally long/);
  });
});

describe('Python text forms', () => {
  it('rounds as round(x, 2): exact ties to even, others from the exact binary value', () => {
    expect(pyRound2(0.125)).toBe(0.12);
    expect(pyRound2(0.375)).toBe(0.38);
    expect(pyRound2(2.675)).toBe(2.67);
    expect(pyRound2(0.335)).toBe(0.34);
    expect(pyRound2(-0.125)).toBe(-0.12);
    expect(pyRound2(0.6666666666666666)).toBe(0.67);
  });

  it('prints floats and ints as CPython', () => {
    expect(pyNumberRepr(1, false)).toBe('1.0');
    expect(pyNumberRepr(0, false)).toBe('0.0');
    expect(pyNumberRepr(0.33, false)).toBe('0.33');
    expect(pyNumberRepr(1e-5, false)).toBe('1e-05');
    expect(pyNumberRepr(1e16, false)).toBe('1e+16');
    expect(pyNumberRepr(12, true)).toBe('12');
  });

  it('prints rows as str() of a list of tuples', () => {
    expect(pyTupleRepr([1])).toBe('(1,)');
    expect(pyTupleRepr(['John', 12, null])).toBe("('John', 12, None)");
    expect(pyStrRepr("it's")).toBe('"it\'s"');
    expect(pyStrRepr('a\'b"c')).toBe("'a\\'b\"c'");
    expect(pyStrRepr('line\nnext\\')).toBe("'line\\nnext\\\\'");
    expect(pyRowsRepr([['a'], ['b']])).toBe("[('a',), ('b',)]");
  });
});
