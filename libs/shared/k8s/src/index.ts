export { createKubeConfig, type KubeConnectionOptions } from './kube-config';
export { KubeClient, type DeleteOptions, type ListOptions, type ObjectList, type PatchType } from './kube-client';
export { isAlreadyExists, isConflict, isGone, isNotFound, KubeApiError, type KubeStatus } from './kube-api-error';
export { Informer, type InformerEvent, type InformerLogger, type InformerOptions } from './informer';
export * from './resources';
