import { describe, expect, it } from 'vitest';
import { extractGsm8kAnswer, gsm8kAnswersEqual, gsm8kReferenceAnswer } from './gsm8k-answer';

describe('extractGsm8kAnswer', () => {
  it.each([
    ['She makes $1,234.50 in total.', '1234.5'],
    ['Total: 9 * 2 = 18\n#### 72', '72'],
    ['The answer is 18.', '18'],
    ['So the answer is 72. Question: what about 99 more apples?', '72'],
    ['He ends up at -5 degrees. So the answer is -5.', '-5'],
    ['The change is $-3.', '-3'],
    ['He loses -$12 overall.', '-12'],
    ['The ratio is 0.75', '0.75'],
    ['It costs .5 dollars', '0.5'],
    ['The answer is: 1,000,000 people', '1000000'],
    ['The answer is **42**.', '42'],
    ['Final: \\boxed{7}', '7'],
    ['There are 15 trees. 21 - 15 = 6. So 6 trees were planted, then 2 more.', '2'],
    ['Answer: 12', '12'],
    ['We get 5 + 4 = 9.\n\nQuestion: Tom has 3 apples and 100 pears.\nAnswer: 103', '9'],
    ['It is 3\u22122 = 1 so \u22127 in total', '-7'],
    ['The answer is 18.00.', '18'],
    ['#### 72\nThe answer is 71 plus 1', '71'],
  ])('reads %j as %s', (text, expected) => {
    expect(extractGsm8kAnswer(text)).toBe(expected);
  });

  it('keeps list commas apart from thousands separators', () => {
    expect(extractGsm8kAnswer('The numbers are 1,2,3')).toBe('3');
  });

  it('returns undefined without a number', () => {
    expect(extractGsm8kAnswer('I do not know.')).toBeUndefined();
    expect(extractGsm8kAnswer('')).toBeUndefined();
  });
});

describe('gsm8kReferenceAnswer', () => {
  it('takes the number after ####, commas removed', () => {
    expect(gsm8kReferenceAnswer('a <<1+1=2>>2\n#### 1,234')).toBe('1234');
    expect(gsm8kReferenceAnswer('x\n#### -3')).toBe('-3');
    expect(gsm8kReferenceAnswer('no marker')).toBeUndefined();
    expect(gsm8kReferenceAnswer('#### twelve')).toBeUndefined();
  });
});

describe('gsm8kAnswersEqual', () => {
  it('compares numerically', () => {
    expect(gsm8kAnswersEqual('18.0', '18')).toBe(true);
    expect(gsm8kAnswersEqual('1234.5', '1234.50')).toBe(true);
    expect(gsm8kAnswersEqual('19', '18')).toBe(false);
    expect(gsm8kAnswersEqual('-5', '5')).toBe(false);
    expect(gsm8kAnswersEqual('abc', '5')).toBe(false);
    expect(gsm8kAnswersEqual('1450001', '1450000')).toBe(false);
  });
});
