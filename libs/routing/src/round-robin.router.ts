import { BaseRouter, type RoutableEndpoint, type RoutingPolicyName, type RoutingRequest } from './router';

/**
 * Round-robin: each request to the next healthy replica in turn, blind to load and to what a replica has cached. The
 * baseline routers are judged against (issue 4's routing number); rarely the right choice in production.
 */
export class RoundRobinRouter extends BaseRouter {
  readonly policy: RoutingPolicyName = 'round-robin';
  private turn = 0;

  protected choose(candidates: RoutableEndpoint[], _request: RoutingRequest, _now: number): RoutableEndpoint {
    return candidates[this.turn++ % candidates.length]!;
  }
}
