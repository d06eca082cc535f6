import { describe, expect, it } from 'vitest';
import { LeastOutstandingRouter } from './least-outstanding.router';
import { LoadAwareRouter } from './load-aware.router';

const req = { prompt: 'x' };

function failOn(router: LeastOutstandingRouter, url: string, times: number, at: number): void {
  for (let i = 0; i < times; i++) {
    const e = router.pick(req, at, new Set(router.urls().filter((u) => u !== url)))!;
    router.begin(e, () => at)('failed');
  }
}

describe('BaseRouter accounting (shared by every policy)', () => {
  it('ejects a replica after consecutive failures, probes it once after the back-off, and takes it back on success', () => {
    const ejected: [string, number][] = [];
    const router = new LeastOutstandingRouter(['a', 'b'], { ejectAfterFailures: 2, ejectForMs: 1000, onEject: (u, t) => ejected.push([u, t]) });
    failOn(router, 'a', 2, 0);
    expect(ejected).toEqual([['a', 1000]]);
    for (let i = 0; i < 4; i++) expect(router.pick(req, 500)!.url).toBe('b');
    expect(router.snapshot(500).find((e) => e.url === 'a')!.ready).toBe(false);

    const probe = router.pick(req, 1500)!;
    expect(probe.url).toBe('a');
    const endProbe = router.begin(probe, () => 1500);
    // While the probe is in flight nothing else goes to a.
    for (let i = 0; i < 3; i++) expect(router.pick(req, 1600)!.url).toBe('b');
    endProbe('ok');
    expect(router.snapshot(1700).find((e) => e.url === 'a')!.ready).toBe(true);
    router.begin(router.pick(req, 1700, new Set(['a']))!);
    expect(router.pick(req, 1700)!.url).toBe('a');
  });

  it('doubles the back-off when a probe fails, up to the maximum, and resets it after a success', () => {
    const ejected: number[] = [];
    const router = new LeastOutstandingRouter(['a', 'b'], { ejectAfterFailures: 1, ejectForMs: 1000, maxEjectMs: 3000, onEject: (_u, t) => ejected.push(t) });
    failOn(router, 'a', 1, 0); // until 1000
    let now = 1000;
    for (let i = 0; i < 3; i++) {
      const probe = router.pick(req, now)!;
      expect(probe.url).toBe('a');
      router.begin(probe, () => now)('failed');
      now = ejected.at(-1)!;
    }
    expect(ejected).toEqual([1000, 3000, 6000, 9000]);
    router.begin(router.pick(req, now)!, () => now)('ok');
    failOn(router, 'a', 1, now);
    expect(ejected.at(-1)).toBe(now + 1000);
  });

  it('does not count a cancelled request as a failure', () => {
    const router = new LeastOutstandingRouter(['a'], { ejectAfterFailures: 1, ejectForMs: 1000 });
    router.begin(router.pick(req, 0)!, () => 0)('cancelled');
    expect(router.snapshot(1)[0]).toMatchObject({ url: 'a', outstanding: 0, ready: true });
  });

  it('fails open to the replica whose back-off ends first when every replica is ejected', () => {
    const router = new LeastOutstandingRouter(['a', 'b'], { ejectAfterFailures: 1, ejectForMs: 1000 });
    failOn(router, 'a', 1, 0);
    failOn(router, 'b', 1, 100);
    expect(router.pick(req, 200)!.url).toBe('a');
  });

  it('keeps the state of surviving replicas when the endpoint set changes', () => {
    const router = new LeastOutstandingRouter(['a', 'b'], { ejectAfterFailures: 1, ejectForMs: 1000 });
    router.begin(router.pick(req, 0, new Set(['a']))!);
    failOn(router, 'a', 1, 0);
    router.replaceEndpoints(['b', 'c', 'a']);
    expect(router.urls()).toEqual(['b', 'c', 'a']);
    const byUrl = new Map(router.snapshot(10).map((e) => [e.url, e]));
    expect(byUrl.get('a')).toMatchObject({ ready: false });
    expect(byUrl.get('b')).toMatchObject({ outstanding: 1 });
    expect(byUrl.get('c')).toMatchObject({ outstanding: 0, ready: true });
    expect(router.pick(req, 10)!.url).toBe('c');
    router.replaceEndpoints([]);
    expect(router.pick(req, 10)).toBeUndefined();
  });
});

describe('load estimate', () => {
  it.each([
    { name: 'no metrics: own in-flight count', load: undefined, outstanding: 2, at: 0, expected: 2 },
    { name: 'fresh metrics: engine queue + waiting + kv weight', load: { running: 3, waiting: 2, kvCacheUsage: 0.5 }, outstanding: 0, at: 0, expected: 3 + 2 + 2 + 4 * 0.5 },
    { name: 'stale metrics are ignored', load: { running: 9, waiting: 9, kvCacheUsage: 1 }, outstanding: 1, at: -10_000, expected: 1 },
    { name: 'never below own in-flight count', load: { running: 0, waiting: 0, kvCacheUsage: 0 }, outstanding: 5, at: 0, expected: 5 },
  ])('$name', ({ load, outstanding, at, expected }) => {
    const router = new LoadAwareRouter(['a']);
    if (load) router.reportLoad('a', load, at);
    for (let i = 0; i < outstanding; i++) router.begin(router.pick(req, 0)!);
    expect(router.snapshot(0)[0]!.load).toBeCloseTo(expected);
  });

  it('counts requests sent since the scrape on top of the scraped queue', () => {
    const router = new LoadAwareRouter(['a']);
    router.reportLoad('a', { running: 4, waiting: 0, kvCacheUsage: 0 }, 0);
    router.begin(router.pick(req, 0)!);
    router.begin(router.pick(req, 0)!);
    expect(router.snapshot(0)[0]!.load).toBe(6);
  });
});
