/** Routing policies a model can use. */
export const ROUTING_POLICIES = ['least-outstanding', 'load-aware', 'prefix-affinity', 'round-robin', 'session-affinity'] as const;
export type RoutingPolicyName = (typeof ROUTING_POLICIES)[number];

/** What a policy may look at in a request: the prompt (or chat messages) and the session key. */
export interface RoutingRequest {
  prompt?: string;
  messages?: readonly { role: string; content: string }[];
  /** Requests with the same key go to the same replica while it is healthy (session-affinity policy). */
  sessionKey?: string;
}

/** An engine's load as scraped from its `/metrics` (vLLM gauges). */
export interface EngineLoad {
  running: number;
  waiting: number;
  /** 0..1 (`vllm:kv_cache_usage_perc`). */
  kvCacheUsage: number;
  /** When it was scraped (same clock as `now` in `pick`). */
  at: number;
}

/** How a routed request ended: `failed` counts towards ejection, `cancelled` (the caller went away) does not. */
export type RequestOutcome = 'ok' | 'failed' | 'cancelled';

/** One replica that can serve a model, as the router sees it. */
export interface RoutableEndpoint {
  readonly url: string;
  /** Requests sent and not yet finished. */
  outstanding: number;
  /** Until when the endpoint is ejected after failures (ms, router clock); 0 when healthy. */
  ejectedUntil: number;
  consecutiveFailures: number;
  /** Ejections since the endpoint last served a request successfully; each doubles the back-off. */
  ejections: number;
  /** A probe request is in flight after the back-off elapsed (half-open): no other request goes there meanwhile. */
  probing: boolean;
  load?: EngineLoad;
  /** `outstanding` when `load` was scraped: requests sent since then are not in the scraped figures yet. */
  outstandingAtScrape: number;
}

/** A replica's state for metrics and ListModels. */
export interface EndpointSnapshot {
  url: string;
  outstanding: number;
  /** Not ejected (a replica whose back-off elapsed but whose probe has not succeeded yet counts as not ready). */
  ready: boolean;
  /** The load estimate the policies use, in requests. */
  load: number;
  /** Engine metrics are older than `staleAfterMs` (or were never scraped): only the router's own count is used. */
  stale: boolean;
}

/** Knobs shared by every policy. */
export interface RouterOptions {
  /** Consecutive failures that eject a replica. Default 3. */
  ejectAfterFailures: number;
  /** First back-off; doubles with each ejection in a row, up to `maxEjectMs`. Default 5 s. */
  ejectForMs: number;
  maxEjectMs: number;
  /** Engine metrics older than this are ignored. Default 5 s. */
  staleAfterMs: number;
  /** Extra load per waiting request (waiting requests delay every newcomer's first token). Default 1. */
  waitingWeight: number;
  /** Extra load at a full KV cache (a full cache makes new requests wait). Default 4. */
  kvCacheWeight: number;
  /** Called when a replica is ejected, for metrics and logs. */
  onEject?: (url: string, untilMs: number) => void;
}

export const DEFAULT_ROUTER_OPTIONS: RouterOptions = {
  ejectAfterFailures: 3,
  ejectForMs: 5_000,
  maxEjectMs: 60_000,
  staleAfterMs: 5_000,
  waitingWeight: 1,
  kvCacheWeight: 4,
};

/** Chooses a replica per request and keeps the accounting every policy shares (in-flight counts, ejection, load). */
export interface Router {
  readonly policy: RoutingPolicyName;
  /**
   * Picks a replica for `request`, skipping `exclude` and ejected replicas (when every candidate is ejected, the one
   * whose back-off ends first is used: failing open beats refusing). A replica whose back-off elapsed gets one probe.
   */
  pick(request: RoutingRequest, now: number, exclude?: ReadonlySet<string>): RoutableEndpoint | undefined;
  /** Marks a request as started on `endpoint`; call the returned function exactly once when it ends. */
  begin(endpoint: RoutableEndpoint, now?: () => number): (outcome: RequestOutcome) => void;
  /** Swaps the endpoint set (discovery); replicas present before and after keep their counts, ejection and history. */
  replaceEndpoints(urls: readonly string[]): void;
  /** Feeds scraped engine metrics of one replica (ignored for unknown URLs). */
  reportLoad(url: string, load: Omit<EngineLoad, 'at'>, at: number): void;
  urls(): string[];
  snapshot(now: number): EndpointSnapshot[];
}

/**
 * The accounting every policy shares. Subclasses only rank the candidates: `choose` gets the replicas that may take
 * the request (not excluded, not ejected) and returns one of them.
 */
export abstract class BaseRouter implements Router {
  abstract readonly policy: RoutingPolicyName;
  protected endpoints: RoutableEndpoint[];
  protected readonly options: RouterOptions;
  private cursor = 0;

  constructor(urls: readonly string[], options: Partial<RouterOptions> = {}) {
    this.options = { ...DEFAULT_ROUTER_OPTIONS, ...options };
    this.endpoints = [...new Set(urls)].map((url) => BaseRouter.fresh(url));
  }

  private static fresh(url: string): RoutableEndpoint {
    return { url, outstanding: 0, ejectedUntil: 0, consecutiveFailures: 0, ejections: 0, probing: false, outstandingAtScrape: 0 };
  }

  protected abstract choose(candidates: RoutableEndpoint[], request: RoutingRequest, now: number): RoutableEndpoint;

  pick(request: RoutingRequest, now: number, exclude: ReadonlySet<string> = new Set()): RoutableEndpoint | undefined {
    const candidates = this.endpoints.filter((e) => !exclude.has(e.url));
    if (candidates.length === 0) return undefined;
    // A replica whose back-off elapsed is probed with the next request (half-open), so it comes back as soon as it works.
    const probe = candidates.find((e) => e.ejectedUntil > 0 && e.ejectedUntil <= now && !e.probing);
    if (probe) return probe;
    const healthy = candidates.filter((e) => e.ejectedUntil === 0);
    if (healthy.length > 0) return this.choose(healthy, request, now);
    const waiting = candidates.filter((e) => !e.probing);
    const pool = waiting.length > 0 ? waiting : candidates;
    return pool.reduce((best, e) => (e.ejectedUntil < best.ejectedUntil ? e : best));
  }

  begin(endpoint: RoutableEndpoint, now: () => number = Date.now): (outcome: RequestOutcome) => void {
    endpoint.outstanding += 1;
    const isProbe = endpoint.ejectedUntil > 0 && !endpoint.probing;
    if (isProbe) endpoint.probing = true;
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      endpoint.outstanding -= 1;
      if (isProbe) endpoint.probing = false;
      if (outcome === 'ok') {
        endpoint.consecutiveFailures = 0;
        endpoint.ejectedUntil = 0;
        endpoint.ejections = 0;
      } else if (outcome === 'failed') {
        endpoint.consecutiveFailures += 1;
        // A failed probe ejects again at once (with a longer back-off); a healthy replica gets a few chances.
        if (isProbe || (endpoint.ejectedUntil === 0 && endpoint.consecutiveFailures >= this.options.ejectAfterFailures)) {
          this.eject(endpoint, now());
        }
      }
    };
  }

  private eject(endpoint: RoutableEndpoint, now: number): void {
    const backOff = Math.min(this.options.maxEjectMs, this.options.ejectForMs * 2 ** endpoint.ejections);
    endpoint.ejections += 1;
    endpoint.ejectedUntil = now + backOff;
    this.options.onEject?.(endpoint.url, endpoint.ejectedUntil);
  }

  replaceEndpoints(urls: readonly string[]): void {
    const byUrl = new Map(this.endpoints.map((e) => [e.url, e]));
    const next = [...new Set(urls)].map((url) => byUrl.get(url) ?? BaseRouter.fresh(url));
    const kept = new Set(next.map((e) => e.url));
    for (const e of this.endpoints) if (!kept.has(e.url)) this.forget(e.url);
    this.endpoints = next;
  }

  /** Drops per-replica state a policy keeps beside the endpoint (called when a replica leaves the set). */
  protected forget(_url: string): void {}

  reportLoad(url: string, load: Omit<EngineLoad, 'at'>, at: number): void {
    const endpoint = this.endpoints.find((e) => e.url === url);
    if (!endpoint) return;
    endpoint.load = { ...load, at };
    endpoint.outstandingAtScrape = endpoint.outstanding;
  }

  urls(): string[] {
    return this.endpoints.map((e) => e.url);
  }

  /**
   * Load in requests: the engine's running and waiting counts plus what this router sent since the scrape (so a burst
   * between two scrapes is not sent to one replica on stale figures), never less than our own in-flight count;
   * waiting requests and KV-cache pressure weigh extra. Without fresh metrics only our in-flight count is known.
   */
  protected loadOf(e: RoutableEndpoint, now: number): number {
    const load = e.load;
    if (!load || now - load.at > this.options.staleAfterMs) return e.outstanding;
    const engineQueue = load.running + load.waiting + (e.outstanding - e.outstandingAtScrape);
    return (
      Math.max(e.outstanding, engineQueue) + this.options.waitingWeight * load.waiting + this.options.kvCacheWeight * load.kvCacheUsage
    );
  }

  /** The least loaded of `pool`, rotating among ties so equal replicas share a burst. */
  protected leastLoaded(pool: RoutableEndpoint[], now: number, loadOf = (e: RoutableEndpoint) => this.loadOf(e, now)): RoutableEndpoint {
    const loads = pool.map(loadOf);
    const least = Math.min(...loads);
    const tied = pool.filter((_, i) => loads[i] === least);
    return tied[this.cursor++ % tied.length]!;
  }

  snapshot(now: number): EndpointSnapshot[] {
    return this.endpoints.map((e) => ({
      url: e.url,
      outstanding: e.outstanding,
      ready: e.ejectedUntil === 0,
      load: this.loadOf(e, now),
      stale: !e.load || now - e.load.at > this.options.staleAfterMs,
    }));
  }
}
