import { describe, expect, it } from 'vitest';
import { type AutoscalePolicy, decideReplicas, initialAutoscalerState, type ReplicaLoad } from './autoscaler';

const policy: AutoscalePolicy = {
  minReplicas: 1,
  maxReplicas: 6,
  targetWaitingPerReplica: 2,
  targetRunningPerReplica: 32,
  targetKvCacheUsage: 0.8,
  scaleDownStabilizationMs: 300_000,
  scaleToZeroAfterMs: 600_000,
};
const load = (running: number, waiting: number, kv = 0.3): ReplicaLoad => ({ running, waiting, kvCacheUsage: kv });

describe('decideReplicas', () => {
  it('scales up at once when requests queue, at most doubling per step and never above max', () => {
    const state = initialAutoscalerState(0);
    const up = decideReplicas(2, [load(20, 10), load(20, 10)], policy, state, 1_000);
    expect(up.replicas).toBe(4);
    expect(up.reason).toContain('waiting');
    const capped = decideReplicas(4, Array.from({ length: 4 }, () => load(32, 40)), policy, up.state, 2_000);
    expect(capped.replicas).toBe(6);
  });

  it('scales up on KV-cache pressure even without a queue', () => {
    expect(decideReplicas(2, [load(10, 0, 0.97), load(10, 0, 0.95)], policy, initialAutoscalerState(0), 1).replicas).toBe(3);
  });

  it('holds steady within the tolerance band', () => {
    expect(decideReplicas(2, [load(16, 2, 0.5), load(16, 2, 0.5)], policy, initialAutoscalerState(0), 1).replicas).toBe(2);
  });

  it('scales down only after lower load held for the whole stabilization window', () => {
    let state = decideReplicas(4, Array.from({ length: 4 }, () => load(30, 4)), policy, initialAutoscalerState(0), 0).state;
    const quiet = Array.from({ length: 4 }, () => load(2, 0, 0.05));
    const early = decideReplicas(4, quiet, policy, state, 60_000);
    expect(early.replicas).toBe(4);
    state = early.state;
    const late = decideReplicas(4, quiet, policy, state, 301_000);
    expect(late.replicas).toBe(1);
    expect(late.reason).toContain('stabilization');
  });

  it('stays at or above minReplicas and keeps the count when no replica reported', () => {
    expect(decideReplicas(1, [load(0, 0, 0)], policy, initialAutoscalerState(0), 10_000_000).replicas).toBe(1);
    expect(decideReplicas(3, [], policy, initialAutoscalerState(0), 1).replicas).toBe(3);
  });

  it('with minReplicas 0 goes to zero only after the idle period, and stays at zero until woken', () => {
    const zeroable = { ...policy, minReplicas: 0, scaleDownStabilizationMs: 0 };
    const busy = decideReplicas(1, [load(3, 0)], zeroable, initialAutoscalerState(0), 1_000);
    expect(busy.replicas).toBe(1);
    expect(decideReplicas(1, [load(0, 0, 0)], zeroable, busy.state, 500_000).replicas).toBe(1);
    expect(decideReplicas(1, [load(0, 0, 0)], zeroable, busy.state, 601_000).replicas).toBe(0);
    expect(decideReplicas(0, [], zeroable, busy.state, 700_000).replicas).toBe(0);
  });
});
