/** Interactive requests are served before batch (eval) requests of the same team. */
export type Priority = 'interactive' | 'batch';

/** What one team may use at once; every field can be overridden per team. */
export interface TeamLimits {
  /** Requests of the team in flight at once. */
  maxConcurrent: number;
  /** Token budget (prompt + max tokens, settled on actual usage) refilled per minute; 0 = unlimited. */
  tokensPerMinute: number;
  /** Requests of the team waiting at once; one more is rejected. */
  maxQueued: number;
  /** A request waiting longer than this is rejected. */
  maxQueueWaitMs: number;
  /** Share of contended capacity relative to other teams (1 = equal share). */
  weight: number;
}

/** Service-wide capacity, the default team limits and per-team overrides. */
export interface FairnessPolicy {
  /** Requests in flight at once across all teams; beyond it teams share what frees up fairly. */
  maxConcurrent: number;
  defaults: TeamLimits;
  teams: Record<string, Partial<TeamLimits>>;
}

/** A request waiting for capacity. `cost` is the token estimate charged up front (prompt + max tokens). */
export interface Ticket {
  id: number;
  team: string;
  priority: Priority;
  cost: number;
  enqueuedAt: number;
}

/**
 * Why a request was turned away; the message names the team and the limit and says what to do. `retryAfterMs` is when
 * a retry may succeed: for a team held back by its token rate, when its bucket has refilled enough for what waits and
 * this request; for one held back by concurrency, an estimate (see {@link FairQueue}).
 */
export class FairnessRejection extends Error {
  override readonly name = 'FairnessRejection';
  constructor(
    readonly reason: 'queue_full' | 'queue_timeout',
    readonly team: string,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** The retry hint when a refused team's requests have not been seen finishing yet: as soon as today's clients retry. */
const UNKNOWN_SERVICE_MS = 1_000;
/** Weight of the newest finished request in a team's mean time in flight (an exponential moving average). */
const SERVICE_EWMA_WEIGHT = 0.2;

/** The outcome of {@link FairQueue.pump}: who may go now, who waited too long, and when to pump again. */
export interface PumpResult {
  admitted: Ticket[];
  expired: { ticket: Ticket; rejection: FairnessRejection }[];
  /** Earliest time something can change without a submit/release (a bucket refill or a queue deadline). */
  wakeAt: number | undefined;
}

interface TeamState {
  limits: TeamLimits;
  interactive: Ticket[];
  batch: Ticket[];
  /** Admitted tickets: the tokens charged and when they were admitted. */
  inFlight: Map<number, { cost: number; admittedAt: number }>;
  /** Moving mean of how long the team's requests held a slot; undefined until one finished. */
  serviceMs: number | undefined;
  bucket: number;
  bucketAt: number;
  /** Virtual start time of the team's next request (start-time fair queuing). */
  vstart: number;
}

/**
 * Admission control for shared inference capacity: per-team concurrency and token-rate limits, bounded per-team
 * queues, interactive before batch inside a team, and start-time fair queuing across teams (each admission advances
 * the team's virtual clock by cost/weight; the backlogged team with the smallest clock goes next, so a team with a deep
 * backlog cannot starve one that just arrived, and an idle team cannot bank credit). Synchronous and clock-free: the
 * caller passes `now` and drives it with {@link pump}.
 *
 * A rejection says when to retry. When the team's token rate is what holds it back, that is exact: the time its bucket
 * needs to refill for the requests waiting ahead plus this one. When concurrency holds it back (its own limit, or the
 * service's), nothing tells how long running requests will take, so it is an estimate from the team's recent requests:
 * their mean time in flight per round of the queue ahead (one second until one has finished).
 */
export class FairQueue {
  private readonly teams = new Map<string, TeamState>();
  private totalInFlight = 0;
  private vnow = 0;
  /** Overrides set while running (a team's own quota), over the policy's. */
  private overrides: Readonly<Record<string, Partial<TeamLimits>>> = {};

  constructor(private readonly policy: FairnessPolicy) {}

  /** The limits of a team from the policy alone: the defaults with its policy overrides. */
  policyLimitsOf(team: string): TeamLimits {
    return { ...this.policy.defaults, ...this.policy.teams[team] };
  }

  /** The effective limits of a team: its policy limits with the overrides set by {@link setOverrides}. */
  limitsOf(team: string): TeamLimits {
    return { ...this.policyLimitsOf(team), ...this.overrides[team] };
  }

  /**
   * Replaces the overrides set while running (taking precedence over the policy's), in force at `now` for teams with
   * requests waiting or running too. Call {@link pump} after: a raised limit may admit who waits.
   */
  setOverrides(overrides: Readonly<Record<string, Partial<TeamLimits>>>, now: number): void {
    this.overrides = overrides;
    for (const [name, state] of this.teams) {
      const limits = this.limitsOf(name);
      const before = state.limits.tokensPerMinute;
      if (limits.tokensPerMinute !== before) {
        // Tokens saved so far were earned at the old rate; a lower rate caps them, and a team metered from now on
        // starts with a full bucket, as a new team does.
        if (before > 0) this.refill(state, now);
        state.bucket = before === 0 ? limits.tokensPerMinute : Math.min(state.bucket, limits.tokensPerMinute);
        state.bucketAt = now;
      }
      state.limits = limits;
      this.forgetIfIdle(name, state);
    }
  }

  /** Queues a ticket; throws {@link FairnessRejection} when the team's queue is full. Call {@link pump} after. */
  submit(ticket: Ticket): void {
    const state = this.state(ticket.team, ticket.enqueuedAt);
    const queued = state.interactive.length + state.batch.length;
    // The bound is on waiting: a request that can start at once never counts against it.
    const startsNow =
      queued === 0 &&
      state.inFlight.size < state.limits.maxConcurrent &&
      this.totalInFlight < this.policy.maxConcurrent &&
      this.affordable(state, ticket.cost, ticket.enqueuedAt);
    if (queued >= state.limits.maxQueued && !startsNow) {
      const waiting = [...state.interactive, ...state.batch];
      throw new FairnessRejection(
        'queue_full',
        ticket.team,
        `team "${ticket.team}" already has ${queued} requests queued (limit maxQueued=${state.limits.maxQueued}) and ` +
          `${state.inFlight.size} in flight (limit maxConcurrent=${state.limits.maxConcurrent}); retry later, send fewer ` +
          'requests at once, or ask the operators for a higher limit',
        this.retryAfterMs(state, waiting, ticket.cost, ticket.enqueuedAt),
      );
    }
    // A team that was idle joins at the current virtual time: it neither jumps ahead nor pays for time it did not use.
    if (queued === 0 && state.vstart < this.vnow) state.vstart = this.vnow;
    state[ticket.priority].push(ticket);
  }

  /** Removes a waiting ticket (its caller gave up); false when it was not waiting. */
  cancel(ticket: Ticket): boolean {
    const state = this.teams.get(ticket.team);
    if (!state) return false;
    const queue = state[ticket.priority];
    const index = queue.indexOf(ticket);
    if (index < 0) return false;
    queue.splice(index, 1);
    this.forgetIfIdle(ticket.team, state);
    return true;
  }

  /** Ends an admitted ticket: frees its slot and settles the token budget on what it really used. */
  release(ticket: Ticket, actualTokens: number, now: number): void {
    const state = this.teams.get(ticket.team);
    const admitted = state?.inFlight.get(ticket.id);
    if (!state || admitted === undefined) return;
    const charged = admitted.cost;
    state.inFlight.delete(ticket.id);
    this.totalInFlight -= 1;
    const held = Math.max(0, now - admitted.admittedAt);
    state.serviceMs = state.serviceMs === undefined ? held : state.serviceMs + SERVICE_EWMA_WEIGHT * (held - state.serviceMs);
    if (state.limits.tokensPerMinute > 0) {
      this.refill(state, now);
      state.bucket = Math.min(state.limits.tokensPerMinute, state.bucket + charged - actualTokens);
    }
    this.forgetIfIdle(ticket.team, state);
  }

  /** Admits every ticket that fits now, in fair order, and rejects the ones that waited past their team's bound. */
  pump(now: number): PumpResult {
    const expired = this.expire(now);
    const admitted: Ticket[] = [];
    while (this.totalInFlight < this.policy.maxConcurrent) {
      let best: { state: TeamState; ticket: Ticket } | undefined;
      for (const state of this.teams.values()) {
        const head = state.interactive[0] ?? state.batch[0];
        if (!head || state.inFlight.size >= state.limits.maxConcurrent || !this.affordable(state, head.cost, now)) continue;
        if (!best || state.vstart < best.state.vstart) best = { state, ticket: head };
      }
      if (!best) break;
      const { state, ticket } = best;
      state[ticket.priority].shift();
      state.inFlight.set(ticket.id, { cost: ticket.cost, admittedAt: now });
      this.totalInFlight += 1;
      if (state.limits.tokensPerMinute > 0) state.bucket -= ticket.cost;
      this.vnow = state.vstart;
      state.vstart += Math.max(ticket.cost, 1) / state.limits.weight;
      admitted.push(ticket);
    }
    return { admitted, expired, wakeAt: this.nextWake(now) };
  }

  /** Waiting and running requests of a team, for gauges and error messages. */
  stats(teamName: string): { interactive: number; batch: number; inFlight: number } {
    const state = this.teams.get(teamName);
    return { interactive: state?.interactive.length ?? 0, batch: state?.batch.length ?? 0, inFlight: state?.inFlight.size ?? 0 };
  }

  private state(name: string, now: number): TeamState {
    let state = this.teams.get(name);
    if (!state) {
      const limits = this.limitsOf(name);
      state = { limits, interactive: [], batch: [], inFlight: new Map(), serviceMs: undefined, bucket: limits.tokensPerMinute, bucketAt: now, vstart: this.vnow };
      this.teams.set(name, state);
    }
    return state;
  }

  private refill(state: TeamState, now: number): void {
    const rate = state.limits.tokensPerMinute / 60_000;
    state.bucket = Math.min(state.limits.tokensPerMinute, state.bucket + Math.max(0, now - state.bucketAt) * rate);
    state.bucketAt = now;
  }

  /** A request larger than the whole budget goes once the bucket is full (and leaves it in debt), so it cannot wait forever. */
  private affordable(state: TeamState, cost: number, now: number): boolean {
    if (state.limits.tokensPerMinute === 0) return true;
    this.refill(state, now);
    return state.bucket >= Math.min(cost, state.limits.tokensPerMinute);
  }

  private expire(now: number): PumpResult['expired'] {
    const expired: PumpResult['expired'] = [];
    for (const [name, state] of this.teams) {
      for (const priority of ['interactive', 'batch'] as const) {
        const queue = state[priority];
        // Queues are FIFO, so the stale tickets are at the front.
        while (queue[0] && now - queue[0].enqueuedAt >= state.limits.maxQueueWaitMs) {
          const ticket = queue.shift()!;
          const l = state.limits;
          // Its turn comes back behind every request still waiting.
          const retryAfterMs = this.retryAfterMs(state, [...state.interactive, ...state.batch], ticket.cost, now);
          expired.push({
            ticket,
            rejection: new FairnessRejection(
              'queue_timeout',
              name,
              `request of team "${name}" waited ${now - ticket.enqueuedAt} ms for capacity (limit maxQueueWaitMs=${l.maxQueueWaitMs}; ` +
                `team limits maxConcurrent=${l.maxConcurrent}, tokensPerMinute=${l.tokensPerMinute || 'unlimited'}); retry later, ` +
                'send fewer requests at once, or ask the operators for a higher limit',
              retryAfterMs,
            ),
          });
        }
      }
      this.forgetIfIdle(name, state);
    }
    return expired;
  }

  private nextWake(now: number): number | undefined {
    let wake: number | undefined;
    const consider = (t: number) => (wake = wake === undefined ? t : Math.min(wake, t));
    for (const state of this.teams.values()) {
      for (const head of [state.interactive[0], state.batch[0]]) if (head) consider(head.enqueuedAt + state.limits.maxQueueWaitMs);
      const head = state.interactive[0] ?? state.batch[0];
      if (head && state.limits.tokensPerMinute > 0 && state.inFlight.size < state.limits.maxConcurrent) {
        const missing = Math.min(head.cost, state.limits.tokensPerMinute) - state.bucket;
        if (missing > 0) consider(now + Math.ceil(missing / (state.limits.tokensPerMinute / 60_000)));
      }
    }
    return wake;
  }

  /**
   * When a refused request of the team may be retried with a chance of going: the token bucket's refill time for the
   * `waiting` tickets plus `cost` when the rate is what holds the team back, else the concurrency estimate.
   */
  private retryAfterMs(state: TeamState, waiting: Ticket[], cost: number, now: number): number {
    const l = state.limits;
    const concurrencyBound = state.inFlight.size >= l.maxConcurrent || this.totalInFlight >= this.policy.maxConcurrent;
    let refillMs = 0;
    if (l.tokensPerMinute > 0) {
      this.refill(state, now);
      const needed = [...waiting.map((t) => t.cost), cost].reduce((sum, c) => sum + Math.min(c, l.tokensPerMinute), 0);
      refillMs = Math.max(0, Math.ceil((needed - state.bucket) / (l.tokensPerMinute / 60_000)));
    }
    if (refillMs > 0 && !concurrencyBound) return refillMs;
    const rounds = Math.ceil((waiting.length + 1) / l.maxConcurrent);
    return Math.max(refillMs, rounds * (state.serviceMs ?? UNKNOWN_SERVICE_MS));
  }

  /** Drops a team's state when it holds nothing worth keeping, so arbitrary team names cannot grow memory. */
  private forgetIfIdle(name: string, state: TeamState): void {
    if (state.interactive.length || state.batch.length || state.inFlight.size) return;
    if (state.limits.tokensPerMinute > 0 && state.bucket < state.limits.tokensPerMinute) return;
    this.teams.delete(name);
  }
}
