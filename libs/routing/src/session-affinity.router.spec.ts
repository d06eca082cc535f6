import { describe, expect, it } from 'vitest';
import { SessionAffinityRouter } from './session-affinity.router';

const urls = ['http://r0', 'http://r1', 'http://r2', 'http://r3'];

describe('SessionAffinityRouter', () => {
  it('sends every request of a session to one replica, and sessions over all replicas', () => {
    const router = new SessionAffinityRouter(urls);
    const homes = new Map<string, string>();
    for (let s = 0; s < 200; s++) {
      const key = `session-${s}`;
      for (let i = 0; i < 3; i++) {
        const e = router.pick({ prompt: `turn ${i}`, sessionKey: key }, 0)!;
        router.begin(e);
        if (i === 0) homes.set(key, e.url);
        expect(e.url).toBe(homes.get(key));
      }
    }
    const perReplica = urls.map((u) => [...homes.values()].filter((h) => h === u).length);
    for (const n of perReplica) expect(n).toBeGreaterThan(25);
  });

  it.each([
    { name: 'excluded (a retry)', via: 'exclude' as const },
    { name: 'ejected', via: 'eject' as const },
  ])('moves a session to its next replica while its own is $name, and back afterwards', ({ via }) => {
    const router = new SessionAffinityRouter(urls, { ejectAfterFailures: 1, ejectForMs: 1000 });
    const req = { prompt: 'p', sessionKey: 'user-42' };
    const home = router.pick(req, 0)!.url;
    let exclude = new Set<string>();
    if (via === 'exclude') exclude = new Set([home]);
    else router.begin(router.pick(req, 0)!, () => 0)('failed');
    const fallback = router.pick(req, 10, exclude)!.url;
    expect(fallback).not.toBe(home);
    expect(router.pick(req, 20, exclude)!.url).toBe(fallback);
    if (via === 'eject') router.begin(router.pick(req, 1500)!, () => 1500)('ok');
    expect(router.pick(req, 2000)!.url).toBe(home);
  });

  it('moves only the sessions of a replica that leaves', () => {
    const router = new SessionAffinityRouter(urls);
    const before = new Map(Array.from({ length: 100 }, (_, i) => [`s${i}`, router.pick({ sessionKey: `s${i}` }, 0)!.url]));
    router.replaceEndpoints(urls.slice(0, 3));
    for (const [key, url] of before) {
      const now = router.pick({ sessionKey: key }, 0)!.url;
      if (url !== urls[3]) expect(now).toBe(url);
    }
  });

  it('sends requests without a key to the least loaded replica', () => {
    const router = new SessionAffinityRouter(['a', 'b']);
    router.begin(router.pick({ sessionKey: 'k' }, 0, new Set(['b']))!);
    expect(router.pick({ prompt: 'no key' }, 0)!.url).toBe('b');
  });
});
