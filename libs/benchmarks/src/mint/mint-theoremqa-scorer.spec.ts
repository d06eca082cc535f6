import { describe, expect, it } from 'vitest';
import { type MintScoringRules } from './mint-reasoning-scorer';
import { MintScorerError } from './mint-scorer-error';
import { type TheoremqaAnswerType, type TheoremqaReference } from './mint-tasks';
import { extractTheoremqaAnswer, normalizeTheoremqaAnswer, pyRound, theoremqaSuccess } from './mint-theoremqa-scorer';

describe('TheoremqaTask', () => {
  it.each<[string, string, MintScoringRules?]>([
    ['771890.886', '771890.886'],
    ['x = 5', '5'],
    ['≈ 3.14', '3.14'],
    ['$1,000$', '1000'],
    ['30°', '30'],
    ['yes', 'True'],
    ['no', 'False'],
    ['The statement is False.', 'False'],
    ['approximately 12.5', '12.5'],
    ['3 or 4', '3'],
    ['12.5 m/s', '12.5'],
    ['$ 20', '20'],
    ['5%', '5'],
    ['10 meters\n', '10'],
    ['1.5 x 10^3', '1.5*math.pow(10, 3)'],
    ['The answer is 1229312.', 'The answer is 1229312.'],
    ['', '0'],
    ['a) f is increasing', 'a) f is increasing'],
    ['a) f is increasing', '"(a)"', 'latest'],
    ['c ) None of the above.', '"(c)"', 'latest'],
    ['b', '"(b)"', 'latest'],
  ])('normalises %j to %j', (solution, expected, rules) => {
    expect(normalizeTheoremqaAnswer(solution, rules)).toBe(expected);
  });

  it.each<[TheoremqaReference, TheoremqaAnswerType, string, boolean]>([
    [1.12, 'float', '1.1', true],
    [1.12, 'float', '1.17', false],
    [1.28e-6, 'float', '1.28e-06', true],
    [-0.166, 'float', '-0.17', true],
    [463000000.0, 'float', '4.63e8', true],
    [25, 'integer', '25.4', true],
    [25, 'integer', '25.5', false],
    [26, 'integer', '25.5', true],
    [2, 'integer', '2.5', true],
    [25, 'integer', '24.6 cm', true],
    [60, 'integer', 'The answer is 60.', false],
    [[0, 5], 'list of integer', '[0, 5]', true],
    [[0, 5], 'list of integer', '[5, 0]', true],
    [[0, 5], 'list of integer', '(0, 5)', true],
    [[0, 5], 'list of integer', '[0, 5, 6]', false],
    [[1, 6], 'list of integer', '[6.0, 1.0]', true],
    [[3, 2], 'list of integer', '3, 2', true],
    [false, 'bool', 'False', true],
    [false, 'bool', 'no', true],
    [false, 'bool', 'The polynomial is irreducible.', false],
    [false, 'bool', '0', true],
    [false, 'bool', 'True', false],
    ['a', 'option', 'a) f is increasing on [0,1]', false],
  ])('reference %j (%s), answer %j → %s under the published rules', (reference, type, solution, expected) => {
    expect(theoremqaSuccess(reference, type, solution)).toBe(expected);
  });

  it.each<[TheoremqaReference, string, boolean]>([
    ['a', 'a) f is increasing on [0,1]', true],
    ['c', 'c ) None of the above.', true],
    ['d', 'c) $0.5\\theta^{-1}$', false],
  ])('option %j, answer %j → %s under the latest rules', (reference, solution, expected) => {
    expect(theoremqaSuccess(reference, 'option', solution, 'latest')).toBe(expected);
  });

  it('treats an answer eval cannot read as wrong, and raises where upstream raises', () => {
    expect(extractTheoremqaAnswer('-0.25 + E/4')).toBeNull();
    expect(extractTheoremqaAnswer('0.5\n0.5')).toBeNull();
    expect(() => extractTheoremqaAnswer('()')).toThrow(MintScorerError);
    expect(() => theoremqaSuccess(5, 'integer', '1e999')).toThrow(/OverflowError/);
  });

  it.each([
    [2.5, 2],
    [3.5, 4],
    [-2.5, -2],
    [2.4999, 2],
    [7, 7],
  ])('pyRound(%s) = %s (ties to even)', (x, expected) => {
    expect(pyRound(x)).toBe(expected);
  });
});
