import type { FairnessPolicy } from '@lemur/fairness';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FairAdmissionService } from './fair-admission.service';
import { FairnessMetrics } from './fairness.metrics';

function service(defaults: Partial<FairnessPolicy['defaults']> = {}) {
  const registry = new Registry();
  const policy: FairnessPolicy = {
    maxConcurrent: 100,
    defaults: { maxConcurrent: 1, tokensPerMinute: 0, maxQueued: 10, maxQueueWaitMs: 60_000, weight: 1, ...defaults },
    teams: {},
  };
  return { admission: new FairAdmissionService(policy, new FairnessMetrics(registry)), registry };
}

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

const request = { team: 'a', priority: 'batch' as const, tokens: 10 };

describe('FairAdmissionService', () => {
  it('admits at once when there is capacity, and queues behind a held slot until it is released', async () => {
    const { admission } = service();
    const first = await admission.acquire(request, new AbortController().signal);
    expect(first.queueMs).toBeLessThan(20);
    let second: { queueMs: number } | undefined;
    const pending = admission.acquire(request, new AbortController().signal).then((a) => (second = a));
    await new Promise((r) => setTimeout(r, 30));
    expect(second).toBeUndefined();
    first.release(10);
    await pending;
    expect(second!.queueMs).toBeGreaterThanOrEqual(20);
  });

  it('a cancelled waiter leaves the queue and never takes the slot', async () => {
    const { admission, registry } = service();
    const first = await admission.acquire(request, new AbortController().signal);
    const controller = new AbortController();
    const cancelled = admission.acquire(request, controller.signal);
    const third = admission.acquire(request, new AbortController().signal);
    controller.abort();
    expect((await rejection(cancelled)).code).toBe(PlatformErrorCode.CANCELLED);
    first.release(0);
    await expect(third).resolves.toMatchObject({ queueMs: expect.any(Number) });
    const gauge = await registry.getSingleMetric('lemur_inference_queued_requests')!.get();
    expect(gauge.values.every((v) => v.value === 0)).toBe(true);
  });

  it('rejects with RESOURCE_EXHAUSTED when the wait bound passes, driven by its own timer', async () => {
    const { admission, registry } = service({ maxQueueWaitMs: 50 });
    await admission.acquire(request, new AbortController().signal);
    const err = await rejection(admission.acquire(request, new AbortController().signal));
    expect(err.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
    expect(err.message).toMatch(/team "a" waited \d+ ms.*maxQueueWaitMs=50/);
    const counter = await registry.getSingleMetric('lemur_inference_admission_rejections_total')!.get();
    expect(counter.values).toEqual([expect.objectContaining({ labels: { team: 'a', reason: 'queue_timeout' }, value: 1 })]);
  });

  it('rejects at once when the team queue is full', async () => {
    const { admission } = service({ maxQueued: 0 });
    await admission.acquire(request, new AbortController().signal);
    const err = await rejection(admission.acquire(request, new AbortController().signal));
    expect(err.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
    expect(err.message).toMatch(/team "a".*maxQueued=0/);
  });

  it("tells a team over its token rate to retry when its bucket has refilled (whole seconds, rounded up)", async () => {
    // 60 tokens a minute, 1 a second: the first request takes 55, the next needs 20, 15 more than are left.
    const { admission } = service({ maxConcurrent: 10, maxQueued: 0, tokensPerMinute: 60 });
    await admission.acquire({ ...request, tokens: 55 }, new AbortController().signal);
    const err = await rejection(admission.acquire({ ...request, tokens: 20 }, new AbortController().signal));
    expect(err.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
    expect(err.retryAfterSeconds).toBe(15);
  });
});
