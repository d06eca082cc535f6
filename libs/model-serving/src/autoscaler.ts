/** One replica's engine load, as scraped from its vLLM `/metrics`. */
export interface ReplicaLoad {
  running: number;
  waiting: number;
  /** 0..1 */
  kvCacheUsage: number;
}

/** Scaling bounds and targets of one model (from its LemurModel spec). */
export interface AutoscalePolicy {
  minReplicas: number;
  maxReplicas: number;
  /** Queued requests per replica above which replicas are added. */
  targetWaitingPerReplica: number;
  /** Concurrent requests (running + waiting) one replica is sized for. */
  targetRunningPerReplica: number;
  /** Mean KV-cache use above which replicas are added. */
  targetKvCacheUsage: number;
  /** A lower replica count must have been enough for this long before replicas are removed. */
  scaleDownStabilizationMs: number;
  /** With minReplicas 0: no work for this long scales to zero. */
  scaleToZeroAfterMs: number;
}

/** What the autoscaler remembers between decisions (owned by the caller, replaced on each decision). */
export interface AutoscalerState {
  /** Recent recommendations; the highest within the stabilization window bounds a scale-down. */
  recommendations: { at: number; replicas: number }[];
  /** Last time any replica had running or waiting requests (or a request asked for a replica). */
  lastActivityAt: number;
}

export interface ScaleDecision {
  replicas: number;
  reason: string;
  state: AutoscalerState;
}

/** Ratios within this band of 1 leave the count alone, so noise around a target does not flap replicas. */
const TOLERANCE = 0.1;

export function initialAutoscalerState(now: number): AutoscalerState {
  return { recommendations: [], lastActivityAt: now };
}

/**
 * Desired replicas for a model from its replicas' load, HPA-style with vLLM signals: each signal (waiting per
 * replica, running+waiting per replica, KV-cache use) gives a ratio to its target, and the replica count follows the
 * largest. Scale-up is immediate (at most doubling per decision); scale-down takes the highest recommendation of the
 * stabilization window, so a short lull does not drop replicas that take many minutes to come back. With
 * minReplicas 0 the model goes to zero only after `scaleToZeroAfterMs` without work. `current` is the replica count
 * now requested; `loads` has one entry per replica that answered a scrape (none: no decision, keep `current`).
 */
export function decideReplicas(current: number, loads: ReplicaLoad[], policy: AutoscalePolicy, state: AutoscalerState, now: number): ScaleDecision {
  const clamp = (n: number): number => Math.min(policy.maxReplicas, Math.max(policy.minReplicas, n));
  const busy = loads.some((l) => l.running + l.waiting > 0);
  const lastActivityAt = busy ? now : state.lastActivityAt;
  const windowStart = now - policy.scaleDownStabilizationMs;
  const keep = (replicas: number, reason: string, recommendation?: number): ScaleDecision => ({
    replicas,
    reason,
    state: {
      lastActivityAt,
      recommendations: [...state.recommendations.filter((r) => r.at >= windowStart), ...(recommendation !== undefined ? [{ at: now, replicas: recommendation }] : [])],
    },
  });
  if (current === 0) return keep(clamp(0), 'scaled to zero; waiting for a request');
  if (loads.length === 0) return keep(clamp(current), 'no replica reported load yet');

  const n = loads.length;
  const waiting = loads.reduce((s, l) => s + l.waiting, 0);
  const running = loads.reduce((s, l) => s + l.running, 0);
  const kv = loads.reduce((s, l) => s + l.kvCacheUsage, 0) / n;
  const ratios = {
    waiting: policy.targetWaitingPerReplica > 0 ? waiting / n / policy.targetWaitingPerReplica : waiting > 0 ? 2 : 0,
    concurrency: (running + waiting) / n / policy.targetRunningPerReplica,
    kvCache: kv / policy.targetKvCacheUsage,
  };
  const [signal, ratio] = Object.entries(ratios).reduce((a, b) => (b[1] > a[1] ? b : a));
  let recommendation = Math.abs(ratio - 1) <= TOLERANCE ? current : Math.ceil(n * ratio);
  // A ratio above 1 always means at least one more replica than the ones that reported.
  if (ratio > 1 + TOLERANCE) recommendation = Math.max(recommendation, n + 1);
  if (policy.minReplicas === 0 && !busy) recommendation = now - lastActivityAt >= policy.scaleToZeroAfterMs ? 0 : Math.max(1, Math.min(recommendation, current));
  else recommendation = Math.max(recommendation, 1);
  recommendation = clamp(recommendation);

  if (recommendation > current) {
    const replicas = Math.min(recommendation, clamp(Math.max(current * 2, current + 1)));
    return keep(replicas, `${signal} at ${ratio.toFixed(2)}× target over ${n} replica(s)`, recommendation);
  }
  const decided = keep(current, '', recommendation);
  const stable = Math.max(recommendation, ...decided.state.recommendations.map((r) => r.replicas));
  const replicas = clamp(Math.min(current, stable));
  return {
    ...decided,
    replicas,
    reason: replicas < current ? `load fits ${replicas} replica(s) for the whole stabilization window` : 'within targets',
  };
}
