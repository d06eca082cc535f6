import { fnv1a } from './hash';

/** Label keys the controller sets on everything it creates. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** The controller's name in `app.kubernetes.io/managed-by` (its informers select on it). */
export const MANAGED_BY = 'lemur-inference';

/** Annotations: the client-facing model name (which may contain '/', so it cannot be a label) and the rendered-spec hash. */
export const ANNOTATIONS = {
  modelName: 'lemur.dev/model-name',
  specHash: 'lemur.dev/spec-hash',
  /** On a LemurModel: the latest request any inference replica served for it (RFC 3339), for the leader's idle clock. */
  lastRequestAt: 'lemur.dev/last-request-at',
} as const;

/** The port name vLLM listens on in the pod, the Service and the EndpointSlices. */
export const HTTP_PORT_NAME = 'http';
export const HTTP_PORT = 8000;

/**
 * The Deployment and Service name of a LemurModel. A LemurModel name is a DNS subdomain, a Service name must be a
 * DNS-1035 label (letter first, no dots, at most 63): names that are not get a readable stem plus a hash.
 */
export function workloadName(lemurModelName: string): string {
  if (/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(lemurModelName) && lemurModelName.length <= 63) return lemurModelName;
  const stem = lemurModelName.replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, '').slice(0, 50).replace(/-+$/, '');
  return `${stem ? `${stem}-` : 'lm-'}${fnv1a(lemurModelName).slice(0, 8)}`;
}

/** Labels that select a model's pods (immutable once a Deployment exists, so a small stable set). */
export function selectorLabels(lemurModelName: string): Record<string, string> {
  return { [LABELS.name]: 'vllm', [LABELS.instance]: workloadName(lemurModelName), [LABELS.component]: 'inference-engine' };
}

/** The full label set of a model's objects. */
export function resourceLabels(lemurModelName: string): Record<string, string> {
  return { ...selectorLabels(lemurModelName), [LABELS.partOf]: 'lemur', [LABELS.managedBy]: MANAGED_BY };
}
