import { BaseRouter, type RoutableEndpoint, type RoutingPolicyName, type RoutingRequest } from './router';

/** Least-outstanding-requests: the replica with the fewest requests this router has in flight, round-robin among ties. */
export class LeastOutstandingRouter extends BaseRouter {
  readonly policy: RoutingPolicyName = 'least-outstanding';

  protected choose(candidates: RoutableEndpoint[], _request: RoutingRequest, now: number): RoutableEndpoint {
    return this.leastLoaded(candidates, now, (e) => e.outstanding);
  }
}
