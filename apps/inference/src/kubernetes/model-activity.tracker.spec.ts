import { type AutoscalePolicy, type AutoscalerState, decideReplicas, initialAutoscalerState } from '@lemur/model-serving';
import { describe, expect, it } from 'vitest';
import { ModelActivityTracker, withRequestActivity } from './model-activity.tracker';

describe('ModelActivityTracker', () => {
  it('reports now while a request is in flight, and the end of the last one afterwards', () => {
    const activity = new ModelActivityTracker();
    expect(activity.lastActivityAt('m', 1_000)).toBeUndefined();
    const endFirst = activity.begin('m', 1_000);
    const endSecond = activity.begin('m', 2_000);
    expect(activity.lastActivityAt('m', 9_000)).toBe(9_000);
    endSecond(3_000);
    expect(activity.lastActivityAt('m', 9_000)).toBe(9_000);
    endFirst(4_000);
    endFirst(8_000);
    expect(activity.lastActivityAt('m', 9_000)).toBe(4_000);
    expect(activity.lastActivityAt('other', 9_000)).toBeUndefined();
  });

  it('moves the idle clock forward only', () => {
    const state: AutoscalerState = { recommendations: [], lastActivityAt: 5_000 };
    expect(withRequestActivity(state, undefined)).toBe(state);
    expect(withRequestActivity(state, 4_000)).toBe(state);
    expect(withRequestActivity(state, 6_000)).toEqual({ recommendations: [], lastActivityAt: 6_000 });
  });
});

describe("the autoscaler's idle clock with sparse short requests", () => {
  const policy: AutoscalePolicy = {
    minReplicas: 0,
    maxReplicas: 2,
    targetWaitingPerReplica: 2,
    targetRunningPerReplica: 8,
    targetKvCacheUsage: 0.8,
    scaleDownStabilizationMs: 0,
    scaleToZeroAfterMs: 60_000,
  };
  // The engines' gauges, read every 10 s, never catch a request: each lasts 50 ms and starts 3 s after a read.
  const idleEngine = [{ running: 0, waiting: 0, kvCacheUsage: 0 }];

  /** Replica counts decided every 10 s for 5 minutes while a request arrives every 30 s. */
  function run(withRequests: boolean): number[] {
    const requests = new ModelActivityTracker();
    let replicas = 1;
    let state = initialAutoscalerState(0);
    const decided: number[] = [];
    for (let now = 10_000; now <= 300_000; now += 10_000) {
      if (now % 30_000 === 0) requests.begin('m', now - 7_000)(now - 6_950);
      const decision = decideReplicas(replicas, idleEngine, policy, withRequests ? withRequestActivity(state, requests.lastActivityAt('m', now)) : state, now);
      state = decision.state;
      replicas = decision.replicas;
      decided.push(replicas);
    }
    return decided;
  }

  it('keeps the model up while requests keep coming, where the gauges alone would scale it to zero', () => {
    expect(run(true).every((r) => r === 1)).toBe(true);
    expect(run(false)).toContain(0);
  });
});
