import { BaseRouter, type RoutableEndpoint, type RoutingPolicyName, type RoutingRequest } from './router';

/**
 * Load-aware: the replica with the lowest estimated load from scraped engine metrics (running, waiting, KV-cache use)
 * corrected by what this router sent since the scrape; falls back to in-flight counts when metrics are stale.
 */
export class LoadAwareRouter extends BaseRouter {
  readonly policy: RoutingPolicyName = 'load-aware';

  protected choose(candidates: RoutableEndpoint[], _request: RoutingRequest, now: number): RoutableEndpoint {
    return this.leastLoaded(candidates, now);
  }
}
