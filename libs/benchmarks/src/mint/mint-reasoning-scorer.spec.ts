import { describe, expect, it } from 'vitest';
import {
  extractMultipleChoiceAnswer,
  extractMultipleChoiceOptions,
  type MintScoringRules,
  multipleChoiceTaskSuccess,
  pyFloat,
  reasoningTaskSuccess,
} from './mint-reasoning-scorer';
import { MintScorerError } from './mint-scorer-error';

describe('ReasoningTask (GSM8K, MATH, HotpotQA)', () => {
  it.each<[string, number | undefined]>([
    ['42', 42],
    [' -3.5 ', -3.5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['5.', 5],
    ['1_000', 1000],
    ['+7', 7],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['1,000', undefined],
    ['1__0', undefined],
    ['12 apples', undefined],
    ['', undefined],
  ])('pyFloat(%j) = %s', (text, expected) => {
    expect(pyFloat(text)).toBe(expected);
  });

  it.each<[string, string, MintScoringRules, boolean]>([
    ['6', '6', 'published', true],
    ['6', '6.0', 'published', true],
    ['100.0', '104', 'published', true],
    ['100.0', '105.1', 'published', false],
    ['36', '$36', 'published', true],
    ['36', '136 apples', 'published', true],
    ['6', 'Marissa needs to walk the remaining 6 miles at a speed of 6 miles per hour.', 'published', true],
    ['Robert Erskine Childers DSC', 'robert erskine childers dsc, the author', 'published', true],
    ['yes', 'Yes', 'published', true],
    ['1962', 'nineteen sixty-two', 'published', false],
    // MINT as published: 0.05 * ref without abs(), so a negative reference never passes numerically.
    ['-4.0', '-4', 'published', false],
    ['-4.0', 'the answer is -4.0', 'published', true],
    ['-4.0', '-4', 'latest', true],
    ['-4.0', '-3.7', 'latest', false],
  ])('reference %j, answer %j (%s rules) → %s', (reference, answer, rules, expected) => {
    expect(reasoningTaskSuccess(reference, answer, rules)).toBe(expected);
  });
});

describe('MultipleChoiceTask (MINT MMLU)', () => {
  const prompt = 'What is the range?\nOptions: A ) (-\\infty,-1)\\cup (1,\\infty) , B ) 6 , C ) 18107 , D ) 54,320';

  it('reads the options as upstream, keeping only the text before an option\'s next ")"', () => {
    expect(Object.fromEntries(extractMultipleChoiceOptions(prompt))).toEqual({ a: '(-\\infty,-1', b: '6', c: '18107', d: '54,320' });
    // The ". Which option is correct?" removal runs after lower(), so it never matches: upstream keeps the text.
    expect(Object.fromEntries(extractMultipleChoiceOptions("Q? Options: ['A ) x. Which option is correct?'"))).toEqual({ a: 'x. which option is correct?' });
  });

  it.each([
    ['The answer is (a)', 'a'],
    ['B) 6', 'b) 6'],
    ['  C  ', 'c'],
    ['d ) no', 'd ) no'],
  ])('extract_answer(%j) = %j (only "a)" is ever extracted)', (solution, expected) => {
    expect(extractMultipleChoiceAnswer(solution)).toBe(expected);
  });

  it.each<[string, string, boolean]>([
    ['c', 'C', true],
    ['c', 'The answer is C) 18107', true],
    ['c', '18107', true],
    ['b', '6', true],
    ['b', '7', false],
    // The letter test is a substring test: any answer containing the letter passes.
    ['d', 'I pick b', false],
    ['d', 'it depends', true],
    // A wrong option's text in the answer fails it before the correct option's text is looked at.
    ['c', '18107 or 6', false],
    ['b', '54,320', false],
    ['a', '(-\\infty,-1', true],
  ])('reference %j, answer %j → %s', (reference, answer, expected) => {
    expect(multipleChoiceTaskSuccess(prompt, reference, answer)).toBe(expected);
  });

  it('skips the option after a removed one, as mutating the list during iteration does in Python', () => {
    // Options "1" and "12" are both substrings of the correct "12": "1" is removed, "12" is skipped and stays,
    // so an answer containing "12" then fails on the "wrong" option "12".
    const p = 'Q\nOptions: A ) 1 , B ) 12 , C ) 5';
    expect(multipleChoiceTaskSuccess(p, 'b', 'it is 12 exactly')).toBe(false);
    expect(multipleChoiceTaskSuccess('Q\nOptions: A ) 7 , B ) 12 , C ) 5', 'b', 'it is 12 exactly')).toBe(true);
  });

  it('raises KeyError, as upstream, when the reference letter is not an option', () => {
    expect(() => multipleChoiceTaskSuccess('Q\nOptions: A ) 1 , B ) 2', 'e', 'zzz')).toThrow(MintScorerError);
  });
});
