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

  it.each([
    { name: 'fits: admitted at once', capacity: 10, held: [4], next: 6, admitted: true },
    { name: 'does not fit: waits', capacity: 10, held: [4, 3], next: 4, admitted: false },
    { name: 'larger than the cache: runs alone', capacity: 10, held: [], next: 50, admitted: true },
  ])('KV capacity ($name)', async ({ capacity, held, next, admitted }) => {
    const scheduler = new SeqScheduler(8, capacity);
    for (const blocks of held) await scheduler.acquire('m', undefined, blocks);
    let granted = false;
    void scheduler.acquire('m', undefined, next).then(() => (granted = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(granted).toBe(admitted);
    expect(scheduler.snapshot().waiting.get('m') ?? 0).toBe(admitted ? 0 : 1);
  });

  it('tracks the blocks of running sequences and admits waiters first come first served as blocks free up', async () => {
    const scheduler = new SeqScheduler(8, 10);
    const a = await scheduler.acquire('m', undefined, 6);
    const b = await scheduler.acquire('m', undefined, 3);
    expect(scheduler.snapshot().usedBlocks).toBe(9);
    const order: string[] = [];
    const big = scheduler.acquire('m', undefined, 8).then((slot) => (order.push('big'), slot));
    const small = scheduler.acquire('m', undefined, 1).then((slot) => (order.push('small'), slot));
    b.release();
    await new Promise((resolve) => setImmediate(resolve));
    // The small request would fit, but it came after the big one.
    expect(order).toEqual([]);
    a.release();
    (await big).release();
    (await small).release();
    expect(order).toEqual(['big', 'small']);
    expect(scheduler.snapshot().usedBlocks).toBe(0);
  });

  it('rejects a non-positive limit', () => {
    expect(() => new SeqScheduler(0)).toThrow(RangeError);
  });
});
