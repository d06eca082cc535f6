import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyFilter } from './key-filter';

const key = (i: number) => createHash('sha256').update(`key ${i}`).digest('hex');

describe('KeyFilter', () => {
  it('holds every key added, and answers absent for nearly all others (about the rate it was sized for)', () => {
    const filter = new KeyFilter(10_000, 0.01);
    for (let i = 0; i < 10_000; i++) filter.add(key(i));
    for (let i = 0; i < 10_000; i++) expect(filter.mightContain(key(i))).toBe(true);
    let falsePositives = 0;
    for (let i = 10_000; i < 30_000; i++) if (filter.mightContain(key(i))) falsePositives += 1;
    expect(falsePositives / 20_000).toBeLessThan(0.02);
  });

  it('takes keys that are not sha256 hex too', () => {
    const filter = new KeyFilter(100);
    filter.add('k1');
    filter.add('K'.repeat(64));
    expect(filter.mightContain('k1')).toBe(true);
    expect(filter.mightContain('K'.repeat(64))).toBe(true);
    expect(filter.mightContain('k2')).toBe(false);
  });

  it('is full after more distinct keys than its capacity, and adding a key again does not count', () => {
    const filter = new KeyFilter(100);
    for (let round = 0; round < 3; round++) for (let i = 0; i < 100; i++) filter.add(key(i));
    expect(filter.full).toBe(false);
    // A new key that happens to hit only set bits is not counted (a false positive): a few more than one make sure.
    for (let i = 100; i < 110; i++) filter.add(key(i));
    expect(filter.full).toBe(true);
  });
});
