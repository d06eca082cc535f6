import { describe, expect, it } from 'vitest';
import { FairnessRejection, FairQueue, type FairnessPolicy, type Priority, type TeamLimits, type Ticket } from './fair-queue';

const UNLIMITED: TeamLimits = { maxConcurrent: 1_000, tokensPerMinute: 0, maxQueued: 1_000, maxQueueWaitMs: 60_000, weight: 1 };

function policy(maxConcurrent: number, defaults: Partial<TeamLimits> = {}, teams: FairnessPolicy['teams'] = {}): FairnessPolicy {
  return { maxConcurrent, defaults: { ...UNLIMITED, ...defaults }, teams };
}

let nextId = 1;
function ticket(team: string, priority: Priority = 'batch', cost = 100, enqueuedAt = 0): Ticket {
  return { id: nextId++, team, priority, cost, enqueuedAt };
}

/** Submits every ticket, then serves one at a time (release + pump) and returns the teams in admission order. */
function serveOneByOne(queue: FairQueue, tickets: Ticket[]): string[] {
  for (const t of tickets) queue.submit(t);
  const order: string[] = [];
  let running = queue.pump(0).admitted;
  while (running.length > 0) {
    const t = running.shift()!;
    order.push(`${t.team}:${t.priority[0]}`);
    queue.release(t, t.cost, 0);
    running = [...running, ...queue.pump(0).admitted];
  }
  return order;
}

describe('FairQueue admission order under one shared slot', () => {
  const cases: { name: string; policy: FairnessPolicy; tickets: () => Ticket[]; order: string[] }[] = [
    {
      name: 'a deep backlog does not starve a team that arrives later: teams alternate',
      policy: policy(1),
      tickets: () => [...['a', 'a', 'a', 'a', 'a'].map((t) => ticket(t)), ticket('b'), ticket('b')],
      order: ['a:b', 'b:b', 'a:b', 'b:b', 'a:b', 'a:b', 'a:b'],
    },
    {
      name: 'interactive goes before batch inside a team, FIFO within a priority',
      policy: policy(1),
      tickets: () => [ticket('a', 'batch'), ticket('a', 'batch'), ticket('a', 'interactive'), ticket('a', 'interactive')],
      order: ['a:i', 'a:i', 'a:b', 'a:b'],
    },
    {
      name: 'fair shares are in tokens: a team asking for 3x the tokens per request gets 1/3 the requests',
      policy: policy(1),
      tickets: () => [...Array.from({ length: 3 }, () => ticket('big', 'batch', 300)), ...Array.from({ length: 6 }, () => ticket('small', 'batch', 100))],
      order: ['big:b', 'small:b', 'small:b', 'small:b', 'big:b', 'small:b', 'small:b', 'small:b', 'big:b'],
    },
    {
      name: 'weights: a team with weight 2 gets two turns for each of another team',
      policy: policy(1, {}, { gold: { weight: 2 } }),
      tickets: () => [...Array.from({ length: 4 }, () => ticket('gold')), ...Array.from({ length: 2 }, () => ticket('std'))],
      order: ['gold:b', 'std:b', 'gold:b', 'gold:b', 'std:b', 'gold:b'],
    },
  ];

  it.each(cases)('$name', ({ policy: p, tickets, order }) => {
    expect(serveOneByOne(new FairQueue(p), tickets())).toEqual(order);
  });
});

describe('FairQueue limits', () => {
  it.each([
    { name: 'team concurrency', p: policy(100, { maxConcurrent: 2 }), submitted: 5, admitted: 2 },
    { name: 'service-wide concurrency', p: policy(3), submitted: 5, admitted: 3 },
    { name: 'per-team override above the default', p: policy(100, { maxConcurrent: 2 }, { a: { maxConcurrent: 4 } }), submitted: 5, admitted: 4 },
    { name: 'token budget (100 tokens each, 250 per minute)', p: policy(100, { tokensPerMinute: 250 }), submitted: 5, admitted: 2 },
  ])('$name admits $admitted of $submitted at once', ({ p, submitted, admitted }) => {
    const queue = new FairQueue(p);
    for (let i = 0; i < submitted; i++) queue.submit(ticket('a'));
    expect(queue.pump(0).admitted).toHaveLength(admitted);
    expect(queue.stats('a')).toEqual({ interactive: 0, batch: submitted - admitted, inFlight: admitted });
  });

  it('one team at its concurrency limit does not hold back another team', () => {
    const queue = new FairQueue(policy(10, { maxConcurrent: 1 }));
    for (const t of [ticket('a'), ticket('a'), ticket('b')]) queue.submit(t);
    expect(queue.pump(0).admitted.map((t) => t.team)).toEqual(['a', 'b']);
  });

  it('rejects a submit beyond the team queue bound, naming the team and the limit', () => {
    const queue = new FairQueue(policy(1, { maxQueued: 2 }));
    queue.submit(ticket('a'));
    queue.submit(ticket('a'));
    const error = (() => {
      try {
        queue.submit(ticket('a'));
      } catch (err) {
        return err as FairnessRejection;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FairnessRejection);
    expect(error?.reason).toBe('queue_full');
    expect(error?.message).toMatch(/team "a".*maxQueued=2/);
    // Another team's queue is separate.
    expect(() => queue.submit(ticket('b'))).not.toThrow();
  });

  it('rejects requests that waited past the bound and wakes the caller at that deadline', () => {
    const queue = new FairQueue(policy(1, { maxQueueWaitMs: 1_000 }));
    const first = ticket('a', 'batch', 100, 0);
    const late = ticket('a', 'batch', 100, 500);
    queue.submit(first);
    queue.submit(ticket('a', 'batch', 100, 0));
    queue.submit(late);
    expect(queue.pump(0).admitted).toEqual([first]);
    expect(queue.pump(10).wakeAt).toBe(1_000);
    const result = queue.pump(1_000);
    expect(result.expired.map((e) => e.rejection.reason)).toEqual(['queue_timeout']);
    expect(result.expired[0]!.rejection.message).toMatch(/team "a" waited 1000 ms.*maxQueueWaitMs=1000/);
    queue.release(first, 100, 1_200);
    expect(queue.pump(1_200).admitted).toEqual([late]);
  });

  it('refills the token budget over time and says when', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 600 }));
    const [a, b, c] = [ticket('a', 'batch', 300), ticket('a', 'batch', 300), ticket('a', 'batch', 300)];
    for (const t of [a!, b!, c!]) queue.submit(t);
    const first = queue.pump(0);
    expect(first.admitted).toHaveLength(2);
    // 300 tokens at 10 per second.
    expect(first.wakeAt).toBe(30_000);
    expect(queue.pump(29_000).admitted).toHaveLength(0);
    expect(queue.pump(30_000).admitted).toEqual([c]);
  });

  it('refunds unused tokens on release (charged prompt + max tokens, used far fewer)', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 1_000 }));
    const big = ticket('a', 'batch', 900);
    const next = ticket('a', 'batch', 900);
    queue.submit(big);
    queue.submit(next);
    expect(queue.pump(0).admitted).toEqual([big]);
    queue.release(big, 50, 0);
    expect(queue.pump(0).admitted).toEqual([next]);
  });

  it('charges overuse: a request that used more than estimated leaves the team in debt', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 1_000 }));
    const first = ticket('a', 'batch', 100);
    queue.submit(first);
    queue.pump(0);
    queue.release(first, 1_500, 0);
    const second = ticket('a', 'batch', 100);
    queue.submit(second);
    // Bucket at -500: 600 tokens short at 1000/min = 36 s.
    expect(queue.pump(0)).toMatchObject({ admitted: [], wakeAt: 36_000 });
    expect(queue.pump(36_000).admitted).toEqual([second]);
  });

  it('a request larger than the whole budget still goes once the budget is full', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 100 }));
    const huge = ticket('a', 'batch', 5_000);
    queue.submit(huge);
    expect(queue.pump(0).admitted).toEqual([huge]);
  });

  it('cancel removes a waiting ticket so it is never admitted', () => {
    const queue = new FairQueue(policy(1));
    const running = ticket('a');
    const gone = ticket('a');
    const kept = ticket('a');
    for (const t of [running, gone, kept]) queue.submit(t);
    queue.pump(0);
    expect(queue.cancel(gone)).toBe(true);
    expect(queue.cancel(gone)).toBe(false);
    queue.release(running, 100, 0);
    expect(queue.pump(0).admitted).toEqual([kept]);
    expect(queue.stats('a')).toEqual({ interactive: 0, batch: 0, inFlight: 1 });
  });

  it('is starvation-free: with 3 teams flooding one slot, every team is served within 3 turns of another', () => {
    const queue = new FairQueue(policy(1));
    const tickets = ['a', 'b', 'c'].flatMap((t) => Array.from({ length: 50 }, () => ticket(t)));
    const order = serveOneByOne(queue, tickets);
    expect(order).toHaveLength(150);
    for (let i = 0; i + 3 <= order.length; i += 3) expect(new Set(order.slice(i, i + 3)).size).toBe(3);
  });
});

describe('FairQueue queue bound', () => {
  it('counts only waiting requests: with maxQueued 0 a request that can start now is admitted, the next is rejected', () => {
    const queue = new FairQueue(policy(10, { maxConcurrent: 1, maxQueued: 0 }));
    const first = ticket('a');
    queue.submit(first);
    expect(queue.pump(0).admitted).toEqual([first]);
    expect(() => queue.submit(ticket('a'))).toThrow(FairnessRejection);
  });
});

describe('FairQueue overrides set while running', () => {
  it('take precedence over the policy, per team, and clearing one restores the policy limits', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 600 }, { a: { tokensPerMinute: 1_200, maxConcurrent: 4 } }));
    queue.setOverrides({ a: { tokensPerMinute: 60 } }, 0);
    expect(queue.limitsOf('a')).toMatchObject({ tokensPerMinute: 60, maxConcurrent: 4 });
    expect(queue.policyLimitsOf('a')).toMatchObject({ tokensPerMinute: 1_200, maxConcurrent: 4 });
    expect(queue.limitsOf('b').tokensPerMinute).toBe(600);
    queue.setOverrides({}, 0);
    expect(queue.limitsOf('a').tokensPerMinute).toBe(1_200);
  });

  it('a lowered rate holds back a team that is already metered, from its next request on', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 6_000 }));
    const first = ticket('a', 'batch', 100);
    queue.submit(first);
    expect(queue.pump(0).admitted).toEqual([first]);
    // 5,900 tokens were left; the new rate caps them at 600: one more 300-token request fits, the next waits 30 s.
    queue.setOverrides({ a: { tokensPerMinute: 600 } }, 0);
    const [second, third] = [ticket('a', 'batch', 300), ticket('a', 'batch', 600)];
    queue.submit(second);
    queue.submit(third);
    expect(queue.pump(0)).toMatchObject({ admitted: [second], wakeAt: 30_000 });
    expect(queue.pump(30_000).admitted).toEqual([third]);
  });

  it('a raised (or lifted) rate admits a team that waits for its bucket at once', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 600 }));
    const [first, second] = [ticket('a', 'batch', 600), ticket('a', 'batch', 600)];
    queue.submit(first);
    queue.submit(second);
    expect(queue.pump(0)).toMatchObject({ admitted: [first], wakeAt: 60_000 });
    queue.setOverrides({ a: { tokensPerMinute: 0 } }, 1_000);
    expect(queue.pump(1_000).admitted).toEqual([second]);
  });
});
