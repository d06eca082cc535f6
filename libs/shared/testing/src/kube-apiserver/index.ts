export { KubeApiServer, type KubeApiServerOptions, type ObjectKey, type RecordedRequest } from './kube-api-server';
export { type CrdObject, loadCrdFiles, validateKubernetesObject } from './crd-schema';
export { type FieldError, type KubeObject, type ObjectMeta, type OwnerReference, type ResourceType } from './resource-types';
export { matchesLabels, parseLabelSelector, type LabelRequirement } from './label-selector';
