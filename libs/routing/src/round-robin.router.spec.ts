import { describe, expect, it } from 'vitest';
import { RoundRobinRouter } from './round-robin.router';

const req = { prompt: 'x' };

describe('RoundRobinRouter', () => {
  it('takes the replicas in turn, blind to what is in flight', () => {
    const router = new RoundRobinRouter(['a', 'b', 'c']);
    // a stays busy: a load-aware policy would avoid it, round-robin does not.
    const picks = Array.from({ length: 6 }, () => {
      const e = router.pick(req, 0)!;
      router.begin(e);
      return e.url;
    });
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('skips excluded replicas and gives up when none is left', () => {
    const router = new RoundRobinRouter(['a', 'b']);
    expect([router.pick(req, 0, new Set(['a']))!.url, router.pick(req, 0, new Set(['a']))!.url]).toEqual(['b', 'b']);
    expect(router.pick(req, 0, new Set(['a', 'b']))).toBeUndefined();
  });
});
