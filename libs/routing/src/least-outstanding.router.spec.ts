import { describe, expect, it } from 'vitest';
import { LeastOutstandingRouter } from './least-outstanding.router';

const req = { prompt: 'x' };

describe('LeastOutstandingRouter', () => {
  it.each([
    { name: 'all idle: three requests go to three replicas', busy: [], firstPicks: ['a', 'b', 'c'] },
    { name: 'a busy: b and c first', busy: ['a'], firstPicks: ['b', 'c'] },
    { name: 'a twice and b once busy: c first', busy: ['a', 'a', 'b'], firstPicks: ['c'] },
  ])('$name', ({ busy, firstPicks }) => {
    const urls = ['a', 'b', 'c'];
    const router = new LeastOutstandingRouter(urls);
    for (const url of busy) router.begin(router.pick(req, 0, new Set(urls.filter((u) => u !== url)))!);
    const picked = firstPicks.map(() => {
      const e = router.pick(req, 0)!;
      router.begin(e);
      return e.url;
    });
    expect(new Set(picked)).toEqual(new Set(firstPicks));
  });

  it('returns a finished replica to the pool', () => {
    const router = new LeastOutstandingRouter(['a', 'b']);
    const endA = router.begin(router.pick(req, 0, new Set(['b']))!);
    router.begin(router.pick(req, 0, new Set(['a']))!);
    router.begin(router.pick(req, 0, new Set(['a']))!);
    endA('ok');
    expect(router.pick(req, 0)!.url).toBe('a');
  });

  it('skips excluded replicas and gives up when none is left', () => {
    expect(new LeastOutstandingRouter(['a']).pick(req, 0, new Set(['a']))).toBeUndefined();
  });
});
