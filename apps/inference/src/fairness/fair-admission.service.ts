import { FairnessRejection, FairQueue, type FairnessPolicy, type Priority, type TeamLimits, type Ticket } from '@lemur/fairness';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { FairnessMetrics } from './fairness.metrics';

/** What admission control needs to know about a request. */
export interface AdmissionRequest {
  team: string;
  priority: Priority;
  /** Tokens charged up front: the prompt estimate plus max tokens (settled on release). */
  tokens: number;
}

/** A granted slot: how long it waited, and the release to call exactly once with the tokens really used. */
export interface Admission {
  queueMs: number;
  release(actualTokens: number): void;
}

interface Waiter {
  resolve(admission: Admission): void;
  reject(err: PlatformError): void;
  detach(): void;
}

/** Drives the pure {@link FairQueue} with real time: promises for waiters, a timer for refills and deadlines, abort signals. */
export class FairAdmissionService {
  private readonly queue: FairQueue;
  private readonly waiters = new Map<Ticket, Waiter>();
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    policy: FairnessPolicy,
    private readonly metrics: FairnessMetrics,
    private readonly now: () => number = Date.now,
  ) {
    this.queue = new FairQueue(policy);
  }

  /** Waits for the team's capacity; rejects with RESOURCE_EXHAUSTED (queue full, waited too long) or CANCELLED. */
  acquire(request: AdmissionRequest, signal: AbortSignal): Promise<Admission> {
    if (signal.aborted) return Promise.reject(cancelled());
    const ticket: Ticket = { id: this.nextId++, team: request.team, priority: request.priority, cost: request.tokens, enqueuedAt: this.now() };
    try {
      this.queue.submit(ticket);
    } catch (err) {
      return Promise.reject(err instanceof FairnessRejection ? this.rejected(err) : err);
    }
    return new Promise<Admission>((resolve, reject) => {
      const onAbort = () => {
        if (!this.queue.cancel(ticket)) return;
        this.waiters.get(ticket)?.detach();
        this.metrics.queued.dec({ team: ticket.team, priority: ticket.priority });
        reject(cancelled());
        // The cancelled ticket may have been the head that held its team back.
        this.pump();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(ticket, {
        resolve,
        reject,
        detach: () => {
          signal.removeEventListener('abort', onAbort);
          this.waiters.delete(ticket);
        },
      });
      this.metrics.queued.inc({ team: ticket.team, priority: ticket.priority });
      this.pump();
    });
  }

  /**
   * Puts the teams' own limits (their quotas in the database) over the configured ones, for waiting and running
   * requests too; a raised limit admits who it lets through at once.
   */
  setTeamOverrides(overrides: Readonly<Record<string, Partial<TeamLimits>>>): void {
    this.queue.setOverrides(overrides, this.now());
    this.pump();
  }

  /** The limits configured for a team (INFERENCE_TEAM_* and its INFERENCE_TEAM_LIMITS entry), without its own quota. */
  configuredLimitsOf(team: string): TeamLimits {
    return this.queue.policyLimitsOf(team);
  }

  private pump(): void {
    const now = this.now();
    const { admitted, expired, wakeAt } = this.queue.pump(now);
    for (const ticket of admitted) {
      const waiter = this.waiters.get(ticket);
      this.metrics.queued.dec({ team: ticket.team, priority: ticket.priority });
      if (!waiter) continue;
      waiter.detach();
      let released = false;
      waiter.resolve({
        queueMs: now - ticket.enqueuedAt,
        release: (actualTokens) => {
          if (released) return;
          released = true;
          this.queue.release(ticket, actualTokens, this.now());
          this.pump();
        },
      });
    }
    for (const { ticket, rejection } of expired) {
      const waiter = this.waiters.get(ticket);
      this.metrics.queued.dec({ team: ticket.team, priority: ticket.priority });
      waiter?.detach();
      waiter?.reject(this.rejected(rejection));
    }
    this.schedule(wakeAt);
  }

  private schedule(wakeAt: number | undefined): void {
    if (wakeAt === undefined || wakeAt >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = wakeAt;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, wakeAt - this.now()),
    );
    // A queued request keeps its caller's connection open; the timer alone must not keep the process alive.
    this.timer.unref();
  }

  private rejected(rejection: FairnessRejection): PlatformError {
    this.metrics.rejections.inc({ team: rejection.team, reason: rejection.reason });
    return new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, rejection.message, {
      cause: rejection,
      // Sent to the caller as its Retry-After (whole seconds, rounded up).
      retryAfterSeconds: rejection.retryAfterMs / 1000,
    });
  }
}

function cancelled(): PlatformError {
  return new PlatformError(PlatformErrorCode.CANCELLED, 'request cancelled by the caller while waiting for capacity');
}
