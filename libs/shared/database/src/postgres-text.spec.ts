import { describe, expect, it } from 'vitest';
import { postgresSafe } from './postgres-text';

describe('postgresSafe', () => {
  it.each([
    ['plain text', 'plain text'],
    ['a\u0000b', 'a\uFFFDb'],
    ['\u0000\u0000', '\uFFFD\uFFFD'],
    ['', ''],
  ])('%j becomes %j', (input, expected) => expect(postgresSafe(input)).toBe(expected));

  it('cleans strings at any depth, keys too, and leaves other values alone', () => {
    const date = new Date(0);
    const input = { 'k\u0000': [{ observation: '\u001f\u008b\u0000\u0000gzip' }, 1, null, true], n: 2, at: date };
    expect(postgresSafe(input)).toEqual({ 'k\uFFFD': [{ observation: '\u001f\u008b\uFFFD\uFFFDgzip' }, 1, null, true], n: 2, at: date });
    expect(postgresSafe(null)).toBeNull();
    expect(postgresSafe(undefined)).toBeUndefined();
  });
});
