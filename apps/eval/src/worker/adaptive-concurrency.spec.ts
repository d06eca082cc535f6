import { describe, expect, it } from 'vitest';
import { AimdLimiter, type CapacitySignal, type ConcurrencyPermit } from './adaptive-concurrency';

/** Acquires `n` permits at once (as the worker does when it fetches a batch of jobs). */
const take = (limiter: AimdLimiter, n: number): ConcurrencyPermit[] => Array.from({ length: n }, () => limiter.acquire());
const settle = (limiter: AimdLimiter, permits: ConcurrencyPermit[], signal: CapacitySignal) => permits.map((p) => limiter.release(p, signal));

/** Runs generations of full-limit batches that all succeed; returns the limit after each. */
function succeed(limiter: AimdLimiter, generations: number): number[] {
  const limits: number[] = [];
  for (let g = 0; g < generations; g++) {
    settle(limiter, take(limiter, limiter.limit), 'success');
    limits.push(limiter.limit);
  }
  return limits;
}

describe('AimdLimiter', () => {
  it('starts at the initial value, never above the bound', () => {
    expect(new AimdLimiter({ initial: 8, max: 32 }).limit).toBe(8);
    expect(new AimdLimiter({ initial: 8, max: 4 }).limit).toBe(4);
    expect(new AimdLimiter({ initial: 8, max: 32 }).available()).toBe(8);
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => new AimdLimiter({ initial: 0, max: 4 })).toThrow(RangeError);
    expect(() => new AimdLimiter({ initial: 2, max: 1.5 })).toThrow(RangeError);
    expect(() => new AimdLimiter({ initial: 2, max: 4 }).setMax(0)).toThrow(RangeError);
  });

  it('grows by one per success until the first overload, then by one per full generation of successes', () => {
    const limiter = new AimdLimiter({ initial: 2, max: 100 });
    // Slow start: every success of a full batch adds one, so each generation doubles.
    expect(succeed(limiter, 3)).toEqual([4, 8, 16]);
    const batch = take(limiter, 16);
    expect(limiter.release(batch[0]!, 'overload')).toEqual({ from: 16, to: 8, cause: 'overload' });
    settle(limiter, batch.slice(1), 'neutral');
    // Additive increase: a whole generation (8 successes at limit 8) adds one, not eight.
    const generation = take(limiter, 8);
    settle(limiter, generation.slice(0, 7), 'success');
    expect(limiter.limit).toBe(8);
    settle(limiter, generation.slice(7), 'success');
    expect(limiter.limit).toBe(9);
    expect(succeed(limiter, 3)).toEqual([10, 11, 12]);
  });

  it('halves on an overload, never below 1', () => {
    const limiter = new AimdLimiter({ initial: 5, max: 5 });
    const changes = [];
    for (let i = 0; i < 4; i++) changes.push(limiter.release(limiter.acquire(), 'overload'));
    expect(changes).toEqual([{ from: 5, to: 2, cause: 'overload' }, { from: 2, to: 1, cause: 'overload' }, undefined, undefined]);
    expect(limiter.limit).toBe(1);
    expect(limiter.available()).toBe(1);
  });

  it('halves once for a whole generation refused together, and the next generation can halve again', () => {
    const limiter = new AimdLimiter({ initial: 16, max: 16 });
    const first = take(limiter, 16);
    expect(settle(limiter, first.slice(0, 8), 'overload').filter(Boolean)).toEqual([{ from: 16, to: 8, cause: 'overload' }]);
    expect(limiter.limit).toBe(8);
    // Still 8 of the old generation in flight, over the new limit: no room until they are back.
    expect(limiter.available()).toBe(0);
    // Their successes were measured under the old limit: they do not grow the new one either.
    settle(limiter, first.slice(8), 'success');
    expect(limiter.limit).toBe(8);
    const second = take(limiter, 8);
    settle(limiter, second, 'overload');
    expect(limiter.limit).toBe(4);
  });

  it('does not grow while the work never fills half the limit', () => {
    const limiter = new AimdLimiter({ initial: 8, max: 64 });
    for (let i = 0; i < 100; i++) limiter.release(limiter.acquire(), 'success');
    expect(limiter.limit).toBe(8);
    // Four at a time tests a limit of 8: it grows.
    settle(limiter, take(limiter, 4), 'success');
    expect(limiter.limit).toBeGreaterThan(8);
  });

  it('never grows above the bound, and comes down to a lowered bound at once', () => {
    const limiter = new AimdLimiter({ initial: 4, max: 6 });
    expect(succeed(limiter, 4)).toEqual([6, 6, 6, 6]);
    expect(limiter.setMax(3)).toEqual({ from: 6, to: 3, cause: 'bound' });
    expect(limiter.limit).toBe(3);
    // A raised bound is not a licence to jump: the limit grows to it by successes.
    expect(limiter.setMax(10)).toBeUndefined();
    expect(limiter.limit).toBe(3);
    expect(succeed(limiter, 3)).toEqual([6, 10, 10]);
  });

  it('ignores neutral outcomes but gives their slots back', () => {
    const limiter = new AimdLimiter({ initial: 3, max: 3 });
    const permits = take(limiter, 3);
    expect(limiter.available()).toBe(0);
    expect(settle(limiter, permits, 'neutral')).toEqual([undefined, undefined, undefined]);
    expect(limiter.available()).toBe(3);
    expect(limiter.inFlight).toBe(0);
  });
});
