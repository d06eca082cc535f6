import { describe, expect, it } from 'vitest';
import { PrefixAffinityRouter } from './prefix-affinity.router';
import { prefixBlockHashes, promptText } from './prefix-index';

const urls = ['r0', 'r1', 'r2', 'r3'];
const template = (t: number, chars = 2000) => `Template ${t}: ${'few-shot example. '.repeat(200)}`.slice(0, chars);
const prompt = (t: number, q: number) => ({ prompt: `${template(t)}\nQuestion ${q}: what is ${q} + ${t}?\nAnswer:` });

/** Picks and starts a request; returns the URL and the function that ends it. */
function send(router: PrefixAffinityRouter, request: { prompt?: string; messages?: { role: string; content: string }[] }, now = 0) {
  const e = router.pick(request, now)!;
  return { url: e.url, end: router.begin(e, () => now) };
}

describe('prefixBlockHashes', () => {
  it('gives equal leading hashes to prompts that share a prefix, and different ones after they diverge', () => {
    const a = prefixBlockHashes(`${'x'.repeat(640)}AAAA${'y'.repeat(124)}`);
    const b = prefixBlockHashes(`${'x'.repeat(640)}BBBB${'y'.repeat(124)}`);
    expect(a).toHaveLength(12);
    expect(a.slice(0, 10)).toEqual(b.slice(0, 10));
    expect(a[10]).not.toBe(b[10]);
    // Chained: a later equal block after a divergence still hashes differently.
    expect(a[11]).not.toBe(b[11]);
  });

  it('renders chat messages with their roles, so the same text in another role is another prefix', () => {
    const text = 'z'.repeat(200);
    expect(promptText({ messages: [{ role: 'system', content: text }] })).not.toBe(promptText({ messages: [{ role: 'user', content: text }] }));
  });
});

describe('PrefixAffinityRouter', () => {
  it.each([
    { name: 'completion prompts', make: (t: number, q: number) => prompt(t, q) },
    {
      name: 'chat messages',
      make: (t: number, q: number) => ({
        messages: [
          { role: 'system', content: template(t) },
          { role: 'user', content: `Question ${q}?` },
        ],
      }),
    },
  ])('keeps each template on one replica while load is low ($name)', ({ make }) => {
    const router = new PrefixAffinityRouter(urls);
    const homes = new Map<number, Set<string>>();
    for (let q = 0; q < 40; q++) {
      const t = q % 4;
      const { url, end } = send(router, make(t, q));
      end('ok');
      homes.set(t, (homes.get(t) ?? new Set()).add(url));
    }
    for (const replicas of homes.values()) expect(replicas.size).toBe(1);
    // Four templates on four idle replicas: the first request of each went to the least loaded, so all differ.
    expect(new Set([...homes.values()].map((s) => [...s][0])).size).toBe(4);
  });

  it('prefers the replica with the longest cached prefix', () => {
    const router = new PrefixAffinityRouter(['a', 'b']);
    const shared = 'S'.repeat(64 * 10);
    router.begin(router.pick({ prompt: shared + 'T'.repeat(64 * 10) }, 0, new Set(['b']))!)('ok');
    router.begin(router.pick({ prompt: shared + 'U'.repeat(64 * 20) }, 0, new Set(['a']))!)('ok');
    expect(router.pick({ prompt: shared + 'U'.repeat(64 * 20) + 'V'.repeat(64) }, 0)!.url).toBe('b');
    expect(router.pick({ prompt: shared + 'T'.repeat(64 * 10) + 'W'.repeat(64) }, 0)!.url).toBe('a');
  });

  it.each([
    { maxLoadImbalance: 0, inFlight: 8 },
    { maxLoadImbalance: 2, inFlight: 12 },
    { maxLoadImbalance: 4, inFlight: 20 },
  ])('bounds a hot prefix by load (imbalance $maxLoadImbalance, $inFlight in flight)', ({ maxLoadImbalance, inFlight }) => {
    const router = new PrefixAffinityRouter(urls, { maxLoadImbalance });
    const counts = new Map<string, number>();
    const order: string[] = [];
    for (let q = 0; q < inFlight; q++) {
      const { url } = send(router, prompt(7, q)); // never ended: the load builds up
      counts.set(url, (counts.get(url) ?? 0) + 1);
      order.push(url);
    }
    const loads = urls.map((u) => counts.get(u) ?? 0);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(maxLoadImbalance + 1);
    // Within the bound the prefix stays home: one replica took the first maxLoadImbalance + 1 requests.
    expect(new Set(order.slice(0, maxLoadImbalance + 1)).size).toBe(1);
    expect(order[maxLoadImbalance + 1]).not.toBe(order[0]);
  });

  it('sends a prefix nobody holds to the replica holding the fewest blocks, within the load bound', () => {
    const router = new PrefixAffinityRouter(['a', 'b'], { maxLoadImbalance: 2 });
    router.begin(router.pick(prompt(1, 0), 0, new Set(['b']))!)('ok');
    router.begin(router.pick(prompt(2, 0), 0, new Set(['b']))!)('ok');
    router.begin(router.pick({ prompt: 'short' }, 0, new Set(['a']))!); // b is busier, but holds nothing
    expect(router.pick(prompt(3, 0), 0)!.url).toBe('b');
    router.begin(router.pick({ prompt: 'short' }, 0, new Set(['a']))!);
    router.begin(router.pick({ prompt: 'short' }, 0, new Set(['a']))!);
    // Beyond the bound, load wins.
    expect(router.pick(prompt(4, 0), 0)!.url).toBe('a');
  });

  it('uses scraped engine load for the bound, not only its own in-flight count', () => {
    const router = new PrefixAffinityRouter(['a', 'b'], { maxLoadImbalance: 2 });
    const home = send(router, prompt(1, 0));
    home.end('ok');
    router.reportLoad(home.url, { running: 10, waiting: 3, kvCacheUsage: 0.9 }, 0);
    expect(router.pick(prompt(1, 1), 100)!.url).not.toBe(home.url);
  });

  it('routes a prefix away from its ejected replica and back after a successful probe', () => {
    const router = new PrefixAffinityRouter(urls, { ejectAfterFailures: 1, ejectForMs: 1000 });
    const home = send(router, prompt(3, 0));
    home.end('failed');
    const during = send(router, prompt(3, 1), 10);
    during.end('ok');
    expect(during.url).not.toBe(home.url);
    const probe = send(router, prompt(9, 0), 1500);
    expect(probe.url).toBe(home.url);
    probe.end('ok');
    // Both replicas are now believed to hold template 3; the tie goes to the less loaded.
    expect([home.url, during.url]).toContain(router.pick(prompt(3, 2), 1600)!.url);
  });

  it('sends prompts shorter than one block to the least loaded replica', () => {
    const router = new PrefixAffinityRouter(['a', 'b']);
    router.begin(router.pick({ prompt: 'short' }, 0)!);
    const second = router.pick({ prompt: 'short' }, 0)!;
    router.begin(second);
    expect(router.snapshot(0).map((e) => e.outstanding)).toEqual([1, 1]);
  });

  it('forgets the history of a replica that leaves, and keeps the others', () => {
    const router = new PrefixAffinityRouter(['a', 'b']);
    router.begin(router.pick(prompt(1, 0), 0, new Set(['b']))!)('ok');
    router.begin(router.pick(prompt(2, 0), 0, new Set(['a']))!)('ok');
    router.replaceEndpoints(['b', 'c']);
    router.replaceEndpoints(['a', 'b', 'c']);
    expect(router.cachedPrefixBlocks('a', prompt(1, 1))).toBe(0);
    expect(router.cachedPrefixBlocks('b', prompt(2, 1))).toBeGreaterThan(20);
  });

  it('forgets the least recently routed prefixes beyond its per-replica capacity', () => {
    const router = new PrefixAffinityRouter(['a'], { cacheBlocksPerReplica: 40 });
    router.begin(router.pick(prompt(1, 0), 0)!)('ok');
    router.begin(router.pick(prompt(2, 0), 0)!)('ok');
    expect(router.cachedPrefixBlocks('a', prompt(1, 1))).toBe(0);
    expect(router.cachedPrefixBlocks('a', prompt(2, 1))).toBeGreaterThan(20);
  });
});
