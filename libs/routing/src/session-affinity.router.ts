import { hash53 } from './hash';
import { BaseRouter, type RoutableEndpoint, type RoutingPolicyName, type RoutingRequest } from './router';

/**
 * Session affinity by rendezvous (highest-random-weight) hashing of the session key over replica URLs: a session stays
 * on its replica while that replica is healthy, moves to its next choice while it is ejected or excluded, and only
 * the sessions of a replica that leaves or joins move. Requests without a key go to the least loaded replica.
 */
export class SessionAffinityRouter extends BaseRouter {
  readonly policy: RoutingPolicyName = 'session-affinity';

  protected choose(candidates: RoutableEndpoint[], request: RoutingRequest, now: number): RoutableEndpoint {
    const key = request.sessionKey;
    if (!key) return this.leastLoaded(candidates, now);
    let best = candidates[0]!;
    let bestWeight = -1;
    for (const e of candidates) {
      const weight = hash53(`${key}\n${e.url}`);
      if (weight > bestWeight) {
        best = e;
        bestWeight = weight;
      }
    }
    return best;
  }
}
