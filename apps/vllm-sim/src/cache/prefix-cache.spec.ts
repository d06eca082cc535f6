import { describe, expect, it } from 'vitest';
import { PrefixCache, promptBlockHashes } from './prefix-cache';

const words = (from: number, count: number) => Array.from({ length: count }, (_, i) => ` w${from + i}`).join('');

describe('promptBlockHashes', () => {
  it('hashes full blocks only, chained, and per model', () => {
    const a = promptBlockHashes('m', words(0, 40), 16);
    expect(a).toHaveLength(2);
    const b = promptBlockHashes('m', words(0, 16) + words(100, 24), 16);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    expect(promptBlockHashes('other', words(0, 40), 16)[0]).not.toBe(a[0]);
  });
});

describe('PrefixCache', () => {
  it.each([
    { name: 'empty cache: no hit', inserted: [[0, 64]], query: [100, 64], expected: 0 },
    { name: 'same prompt: every full block', inserted: [[0, 64]], query: [0, 64], expected: 4 },
    { name: 'longer prompt sharing the prefix: the shared blocks', inserted: [[0, 32]], query: [0, 64], expected: 2 },
  ])('$name', ({ inserted, query, expected }) => {
    const cache = new PrefixCache(16, 100);
    for (const [from, count] of inserted) cache.insert(promptBlockHashes('m', words(from!, count!), 16));
    expect(cache.match(promptBlockHashes('m', words(query[0]!, query[1]!), 16))).toBe(expected);
  });

  it('evicts the least recently used blocks beyond its capacity, keeping the ones a hit touched', () => {
    const cache = new PrefixCache(16, 4);
    const a = promptBlockHashes('m', words(0, 32), 16);
    const b = promptBlockHashes('m', words(100, 32), 16);
    const c = promptBlockHashes('m', words(200, 32), 16);
    cache.insert(a);
    cache.insert(b);
    expect(cache.match(a)).toBe(2);
    cache.insert(c);
    expect(cache.size).toBe(4);
    expect(cache.match(b)).toBe(0);
    expect(cache.match(a)).toBe(2);
    expect(cache.match(c)).toBe(2);
  });

  it('caches nothing with a capacity of 0', () => {
    const cache = new PrefixCache(16, 0);
    const a = promptBlockHashes('m', words(0, 32), 16);
    cache.insert(a);
    expect(cache.match(a)).toBe(0);
  });
});
