import { describe, expect, it } from 'vitest';
import { RequestAbortedError, SeqScheduler } from './seq-scheduler';

describe('SeqScheduler', () => {
  it('admits up to the limit and queues the rest in arrival order', async () => {
    const scheduler = new SeqScheduler(2);
    const a = await scheduler.acquire('m');
    const b = await scheduler.acquire('m');
    const order: string[] = [];
    const c = scheduler.acquire('m').then((slot) => (order.push('c'), slot));
    const d = scheduler.acquire('other').then((slot) => (order.push('d'), slot));
    expect(scheduler.runningCount).toBe(2);
    expect(scheduler.snapshot().waiting).toEqual(new Map([['m', 1], ['other', 1]]));

    a.release();
    a.release();
    const slotC = await c;
    expect(order).toEqual(['c']);
    expect(scheduler.waitingCount).toBe(1);

    b.release();
    const slotD = await d;
    expect(order).toEqual(['c', 'd']);
    expect(scheduler.snapshot().running).toEqual(new Map([['m', 1], ['other', 1]]));
    slotC.release();
    slotD.release();
    expect(scheduler.runningCount).toBe(0);
  });

  it('drops an aborted waiter from the queue without giving it a slot', async () => {
    const scheduler = new SeqScheduler(1);
    const holder = await scheduler.acquire('m');
    const controller = new AbortController();
    const aborted = scheduler.acquire('m', controller.signal);
    const next = scheduler.acquire('m');
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(RequestAbortedError);
    expect(scheduler.waitingCount).toBe(1);
    holder.release();
    const slot = await next;
    expect(scheduler.runningCount).toBe(1);
    slot.release();
  });

  it('sums the cached tokens of running sequences', async () => {
    const scheduler = new SeqScheduler(4);
    const a = await scheduler.acquire('m');
    const b = await scheduler.acquire('m');
    a.setCachedTokens(10);
    b.setCachedTokens(5);
    expect(scheduler.snapshot().cachedTokens).toBe(15);
    a.release();
    expect(scheduler.snapshot().cachedTokens).toBe(5);
  });

  it('rejects a non-positive limit', () => {
    expect(() => new SeqScheduler(0)).toThrow(RangeError);
  });
});
