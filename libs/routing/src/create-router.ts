import { LeastOutstandingRouter } from './least-outstanding.router';
import { LoadAwareRouter } from './load-aware.router';
import { PrefixAffinityRouter, type PrefixAffinityOptions } from './prefix-affinity.router';
import { RoundRobinRouter } from './round-robin.router';
import { type Router, type RouterOptions, type RoutingPolicyName } from './router';
import { SessionAffinityRouter } from './session-affinity.router';

/** The policy a model gets when its entry names none: prefix affinity bounded by load. */
export const DEFAULT_ROUTING_POLICY: RoutingPolicyName = 'prefix-affinity';

/** Builds the router of one model. */
export function createRouter(
  policy: RoutingPolicyName,
  urls: readonly string[],
  options: Partial<RouterOptions & PrefixAffinityOptions> = {},
): Router {
  switch (policy) {
    case 'least-outstanding':
      return new LeastOutstandingRouter(urls, options);
    case 'load-aware':
      return new LoadAwareRouter(urls, options);
    case 'prefix-affinity':
      return new PrefixAffinityRouter(urls, options);
    case 'round-robin':
      return new RoundRobinRouter(urls, options);
    case 'session-affinity':
      return new SessionAffinityRouter(urls, options);
    default: {
      const unknown: never = policy;
      throw new Error(`unknown routing policy ${String(unknown)}`);
    }
  }
}
