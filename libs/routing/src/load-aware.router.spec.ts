import { describe, expect, it } from 'vitest';
import { LoadAwareRouter } from './load-aware.router';

const req = { prompt: 'x' };
type Load = { running: number; waiting: number; kvCacheUsage: number };

describe('LoadAwareRouter', () => {
  it.each<{ name: string; loads: Record<string, Load>; expected: string }>([
    {
      name: 'fewest running',
      loads: { a: { running: 5, waiting: 0, kvCacheUsage: 0.1 }, b: { running: 2, waiting: 0, kvCacheUsage: 0.1 } },
      expected: 'b',
    },
    {
      name: 'waiting requests weigh more than running ones',
      loads: { a: { running: 4, waiting: 0, kvCacheUsage: 0.2 }, b: { running: 2, waiting: 2, kvCacheUsage: 0.2 } },
      expected: 'a',
    },
    {
      name: 'a nearly full KV cache tips an otherwise equal choice',
      loads: { a: { running: 3, waiting: 0, kvCacheUsage: 0.95 }, b: { running: 3, waiting: 0, kvCacheUsage: 0.3 } },
      expected: 'b',
    },
  ])('$name', ({ loads, expected }) => {
    const router = new LoadAwareRouter(Object.keys(loads));
    for (const [url, load] of Object.entries(loads)) router.reportLoad(url, load, 0);
    expect(router.pick(req, 100)!.url).toBe(expected);
  });

  it('spreads a burst between two scrapes instead of sending it all to the replica that looked idle', () => {
    const router = new LoadAwareRouter(['a', 'b']);
    router.reportLoad('a', { running: 0, waiting: 0, kvCacheUsage: 0 }, 0);
    router.reportLoad('b', { running: 3, waiting: 0, kvCacheUsage: 0 }, 0);
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 9; i++) {
      const e = router.pick(req, 10)!;
      router.begin(e);
      counts[e.url]! += 1;
    }
    expect(counts).toEqual({ a: 6, b: 3 });
  });
});
