import { describe, expect, it } from 'vitest';
import { LeastOutstandingRouter } from './least-outstanding.router';

describe('LeastOutstandingRouter', () => {
  it('sends each request to the replica with the fewest in flight', () => {
    const router = new LeastOutstandingRouter(['a', 'b', 'c']);
    const first = router.pick(0)!;
    router.begin(first);
    const second = router.pick(0)!;
    router.begin(second);
    const third = router.pick(0)!;
    expect(new Set([first.url, second.url, third.url]).size).toBe(3);
  });

  it('returns a finished replica to the pool', () => {
    const router = new LeastOutstandingRouter(['a', 'b']);
    const a = router.pick(0, new Set(['b']))!;
    const endA = router.begin(a);
    router.begin(router.pick(0, new Set(['a']))!);
    router.begin(router.pick(0, new Set(['a']))!);
    endA('ok');
    expect(router.pick(0)!.url).toBe('a');
  });

  it('ejects a replica after repeated failures and takes it back after the back-off', () => {
    const router = new LeastOutstandingRouter(['a', 'b'], { ejectAfterFailures: 2, ejectForMs: 1000 });
    const a = router.pick(0, new Set(['b']))!;
    router.begin(a, () => 0)('failed');
    router.begin(a, () => 0)('failed');
    for (let i = 0; i < 4; i++) expect(router.pick(500)!.url).toBe('b');
    expect(router.snapshot(500).find((e) => e.url === 'a')!.ready).toBe(false);
    expect(router.pick(1500, new Set(['b']))!.url).toBe('a');
  });

  it('skips excluded replicas and gives up when none is left', () => {
    const router = new LeastOutstandingRouter(['a']);
    expect(router.pick(0, new Set(['a']))).toBeUndefined();
  });

  it('does not count a cancelled request as a failure', () => {
    const router = new LeastOutstandingRouter(['a'], { ejectAfterFailures: 1, ejectForMs: 1000 });
    const a = router.pick(0)!;
    router.begin(a, () => 0)('cancelled');
    expect(router.snapshot(1)[0]).toEqual({ url: 'a', outstanding: 0, ready: true });
  });
});
