import { describe, expect, it } from 'vitest';
import { FairnessRejection, FairQueue, type FairnessPolicy, type TeamLimits, type Ticket } from './fair-queue';

const UNLIMITED: TeamLimits = { maxConcurrent: 1_000, tokensPerMinute: 0, maxQueued: 1_000, maxQueueWaitMs: 60_000, weight: 1 };

function policy(maxConcurrent: number, defaults: Partial<TeamLimits> = {}): FairnessPolicy {
  return { maxConcurrent, defaults: { ...UNLIMITED, ...defaults }, teams: {} };
}

let nextId = 1;
function ticket(cost = 100, enqueuedAt = 0): Ticket {
  return { id: nextId++, team: 'a', priority: 'batch', cost, enqueuedAt };
}

function rejectionOf(submit: () => void): FairnessRejection {
  try {
    submit();
  } catch (err) {
    if (err instanceof FairnessRejection) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('FairQueue retry hint: token rate', () => {
  it('a full queue held back by the token rate says when the bucket covers what waits plus this request', () => {
    // 600 tokens a minute = 10 a second; no queueing, so the refusal is immediate.
    const queue = new FairQueue(policy(100, { tokensPerMinute: 600, maxQueued: 0 }));
    queue.submit(ticket(590, 0));
    queue.pump(0);
    // 10 tokens left, 2 s later 30: this request of 300 needs 270 more, 27 s.
    expect(rejectionOf(() => queue.submit(ticket(300, 2_000))).retryAfterMs).toBe(27_000);
  });

  it('counts the tokens of requests waiting ahead', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 600, maxQueued: 1 }));
    queue.submit(ticket(600, 0));
    queue.pump(0);
    queue.submit(ticket(200, 0));
    // Empty bucket; 200 waiting + 100 asked = 300 tokens at 10 a second.
    expect(rejectionOf(() => queue.submit(ticket(100, 0))).retryAfterMs).toBe(30_000);
  });

  it('a request that timed out waiting for tokens is told the refill time it still needs', () => {
    const queue = new FairQueue(policy(100, { tokensPerMinute: 600, maxQueueWaitMs: 1_000 }));
    queue.submit(ticket(600, 0));
    queue.submit(ticket(400, 0));
    queue.pump(0);
    const { expired } = queue.pump(1_000);
    // 10 tokens refilled in the second it waited; 390 to go.
    expect(expired.map((e) => [e.rejection.reason, e.rejection.retryAfterMs])).toEqual([['queue_timeout', 39_000]]);
  });
});

describe('FairQueue retry hint: concurrency', () => {
  it('is one second before any request of the team finished, then the mean time in flight per round ahead', () => {
    const queue = new FairQueue(policy(100, { maxConcurrent: 2, maxQueued: 1 }));
    const [a, b] = [ticket(), ticket()];
    for (const t of [a, b]) {
      queue.submit(t);
      queue.pump(0);
    }
    queue.submit(ticket(100, 0));
    expect(rejectionOf(() => queue.submit(ticket(100, 0))).retryAfterMs).toBe(1_000);
    // a held its slot 4 s; the waiting one takes it.
    queue.release(a, 100, 4_000);
    expect(queue.pump(4_000).admitted).toHaveLength(1);
    queue.submit(ticket(100, 4_000));
    // One waiting plus this one over 2 slots: one round of ~4 s.
    expect(rejectionOf(() => queue.submit(ticket(100, 4_000))).retryAfterMs).toBe(4_000);
  });

  it('a token-limited team at its concurrency limit gets the longer of the two waits', () => {
    const queue = new FairQueue(policy(100, { maxConcurrent: 1, maxQueued: 0, tokensPerMinute: 600 }));
    queue.submit(ticket(100, 0));
    queue.pump(0);
    // The bucket still holds 500: tokens are not what holds this one back, the one slot is.
    expect(rejectionOf(() => queue.submit(ticket(100, 0))).retryAfterMs).toBe(1_000);
    // This one needs the whole budget (600): 100 tokens short, 10 s, longer than the slot estimate.
    expect(rejectionOf(() => queue.submit(ticket(1_100, 0))).retryAfterMs).toBe(10_000);
  });
});
