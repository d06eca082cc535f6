/** One replica that can serve a model, as the router sees it. */
export interface RoutableEndpoint {
  readonly url: string;
  /** Requests sent and not yet finished. */
  outstanding: number;
  /** Until when the endpoint is ejected after failures (epoch ms); 0 when healthy. */
  ejectedUntil: number;
  consecutiveFailures: number;
}

/** Least-outstanding-requests routing with round-robin among ties and temporary ejection of failing replicas. */
export class LeastOutstandingRouter {
  private readonly endpoints: RoutableEndpoint[];
  private cursor = 0;

  constructor(
    urls: readonly string[],
    private readonly policy: { ejectAfterFailures: number; ejectForMs: number } = { ejectAfterFailures: 3, ejectForMs: 5_000 },
  ) {
    this.endpoints = urls.map((url) => ({ url, outstanding: 0, ejectedUntil: 0, consecutiveFailures: 0 }));
  }

  /** Picks the replica with the fewest requests in flight, skipping `exclude` and ejected ones (unless all are ejected). */
  pick(now: number, exclude: ReadonlySet<string> = new Set()): RoutableEndpoint | undefined {
    const candidates = this.endpoints.filter((e) => !exclude.has(e.url));
    const healthy = candidates.filter((e) => e.ejectedUntil <= now);
    const pool = healthy.length > 0 ? healthy : candidates;
    if (pool.length === 0) return undefined;
    const least = Math.min(...pool.map((e) => e.outstanding));
    const tied = pool.filter((e) => e.outstanding === least);
    const chosen = tied[this.cursor++ % tied.length];
    return chosen;
  }

  /** Marks a request as started on `endpoint`; call the returned function exactly once when it ends. */
  begin(endpoint: RoutableEndpoint, now: () => number = Date.now): (outcome: 'ok' | 'failed' | 'cancelled') => void {
    endpoint.outstanding += 1;
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      endpoint.outstanding -= 1;
      if (outcome === 'ok') {
        endpoint.consecutiveFailures = 0;
        endpoint.ejectedUntil = 0;
      } else if (outcome === 'failed') {
        endpoint.consecutiveFailures += 1;
        if (endpoint.consecutiveFailures >= this.policy.ejectAfterFailures) {
          endpoint.ejectedUntil = now() + this.policy.ejectForMs;
        }
      }
    };
  }

  /** A snapshot for metrics and ListModels. */
  snapshot(now: number): { url: string; outstanding: number; ready: boolean }[] {
    return this.endpoints.map((e) => ({ url: e.url, outstanding: e.outstanding, ready: e.ejectedUntil <= now }));
  }
}
