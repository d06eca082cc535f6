export { decideReplicas, initialAutoscalerState, type AutoscalePolicy, type AutoscalerState, type ReplicaLoad, type ScaleDecision } from './autoscaler';
export {
  type Condition,
  type ConditionType,
  LEMUR_API_VERSION,
  LEMUR_GROUP,
  LEMUR_MODEL_KIND,
  LEMUR_MODEL_PLURAL,
  LEMUR_VERSION,
  type LemurModel,
  type LemurModelSpec,
  type LemurModelStatus,
  type ResolvedSpec,
  resolveSpec,
  type RoutingPolicy,
  specProblem,
  type Toleration,
} from './lemur-model';
export { computeStatus, podProblem, type ObservedWorkload } from './model-status';
export { ANNOTATIONS, HTTP_PORT, HTTP_PORT_NAME, LABELS, MANAGED_BY, resourceLabels, selectorLabels, workloadName } from './names';
export { engineArgs, MODEL_VOLUME_PATH, renderDeployment, renderService } from './render-workload';
export { fnv1a } from './hash';
export { servingIdentity, type ServingIdentity } from './serving-identity';
export { readyEndpointUrls, SERVICE_NAME_LABEL } from './endpoint-slices';
