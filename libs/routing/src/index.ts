export { createRouter, DEFAULT_ROUTING_POLICY } from './create-router';
export { parseEngineLoad } from './engine-metrics';
export { LeastOutstandingRouter } from './least-outstanding.router';
export { LoadAwareRouter } from './load-aware.router';
export { DEFAULT_PREFIX_AFFINITY_OPTIONS, PrefixAffinityRouter, type PrefixAffinityOptions } from './prefix-affinity.router';
export { RoundRobinRouter } from './round-robin.router';
export { BlockLru, prefixBlockHashes, promptText, type PrefixBlockOptions } from './prefix-index';
export {
  BaseRouter,
  DEFAULT_ROUTER_OPTIONS,
  ROUTING_POLICIES,
  type EndpointSnapshot,
  type EngineLoad,
  type RequestOutcome,
  type RoutableEndpoint,
  type Router,
  type RouterOptions,
  type RoutingPolicyName,
  type RoutingRequest,
} from './router';
export { SessionAffinityRouter } from './session-affinity.router';
