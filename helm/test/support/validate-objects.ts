import { HTTP_PORT_NAME, selectorLabels } from '@lemur/model-serving';
import { type CrdObject, type FieldError, type KubeObject, validateKubernetesObject } from '@lemur/shared-testing';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): boolean => v === undefined || (isObject(v) && Object.values(v).every((x) => typeof x === 'string'));
const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

/** kubernetes-models classes for built-in kinds the in-process API server does not serve. */
const EXTRA_BUILTINS: Record<string, () => Promise<new (data: never) => { validate(): void }>> = {
  'networking.k8s.io/v1/Ingress': async () => (await import('kubernetes-models/networking.k8s.io/v1/Ingress')).Ingress,
};

/** Structural check of a monitoring.coreos.com/v1 PrometheusRule (the operator's CRD is not vendored here). */
export function checkPrometheusRule(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const groups = (obj['spec'] as Json | undefined)?.['groups'];
  if (!Array.isArray(groups) || groups.length === 0) return [{ field: 'spec.groups', message: 'must be a non-empty list' }];
  const names = new Set<string>();
  groups.forEach((group: unknown, g) => {
    if (!isObject(group) || typeof group['name'] !== 'string' || group['name'] === '') {
      errors.push({ field: `spec.groups[${g}].name`, message: 'required' });
      return;
    }
    if (names.has(group['name'])) errors.push({ field: `spec.groups[${g}].name`, message: `duplicate group ${group['name']}` });
    names.add(group['name']);
    const rules = group['rules'];
    if (!Array.isArray(rules) || rules.length === 0) errors.push({ field: `spec.groups[${g}].rules`, message: 'must be a non-empty list' });
    (Array.isArray(rules) ? rules : []).forEach((rule: unknown, r) => {
      const at = `spec.groups[${g}].rules[${r}]`;
      if (!isObject(rule)) return errors.push({ field: at, message: 'must be an object' });
      if ((typeof rule['alert'] === 'string') === (typeof rule['record'] === 'string')) errors.push({ field: at, message: 'needs exactly one of alert and record' });
      if (typeof rule['expr'] !== 'string' || rule['expr'].trim() === '') errors.push({ field: `${at}.expr`, message: 'required' });
      if (rule['for'] !== undefined && (typeof rule['for'] !== 'string' || !DURATION.test(rule['for']))) errors.push({ field: `${at}.for`, message: 'must be a duration' });
      if (!isStringMap(rule['labels']) || !isStringMap(rule['annotations'])) errors.push({ field: at, message: 'labels and annotations must map strings to strings' });
      const known = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
      for (const key of Object.keys(rule)) if (!known.has(key)) errors.push({ field: `${at}.${key}`, message: 'unknown field' });
    });
  });
  return errors;
}

/** Structural check of a ServiceMonitor, and that it selects a rendered Service exposing each endpoint's port. */
export function checkServiceMonitor(obj: KubeObject, all: KubeObject[]): FieldError[] {
  const spec = obj['spec'] as Json | undefined;
  const selector = (spec?.['selector'] as Json | undefined)?.['matchLabels'] as Record<string, string> | undefined;
  const endpoints = spec?.['endpoints'];
  if (!selector || Object.keys(selector).length === 0) return [{ field: 'spec.selector.matchLabels', message: 'required' }];
  if (!Array.isArray(endpoints) || endpoints.length === 0) return [{ field: 'spec.endpoints', message: 'must be a non-empty list' }];
  const services = all.filter(
    (o) => o.kind === 'Service' && (o.metadata?.namespace ?? obj.metadata?.namespace) === obj.metadata?.namespace && Object.entries(selector).every(([k, v]) => o.metadata?.labels?.[k] === v),
  );
  if (services.length === 0) return [{ field: 'spec.selector', message: 'selects no rendered Service' }];
  const errors: FieldError[] = [];
  endpoints.forEach((endpoint: unknown, i) => {
    const port = isObject(endpoint) ? endpoint['port'] : undefined;
    if (typeof port !== 'string') return errors.push({ field: `spec.endpoints[${i}].port`, message: 'must name a Service port' });
    const exposed = services.some((s) => ((s['spec'] as Json)['ports'] as Json[]).some((p) => p['name'] === port));
    if (!exposed) errors.push({ field: `spec.endpoints[${i}].port`, message: `no selected Service has a port named ${port}` });
  });
  return errors;
}

/**
 * Structural check of a PodMonitor for the vLLM replicas: the controller renders those pods at run time, so it must
 * select the labels every replica's pod template carries (@lemur/model-serving) and scrape the port they expose.
 */
export function checkVllmPodMonitor(obj: KubeObject): FieldError[] {
  const spec = obj['spec'] as Json | undefined;
  const selector = (spec?.['selector'] as Json | undefined)?.['matchLabels'] as Record<string, string> | undefined;
  const endpoints = spec?.['podMetricsEndpoints'];
  if (!selector || Object.keys(selector).length === 0) return [{ field: 'spec.selector.matchLabels', message: 'required' }];
  if (!Array.isArray(endpoints) || endpoints.length === 0) return [{ field: 'spec.podMetricsEndpoints', message: 'must be a non-empty list' }];
  const podLabels = selectorLabels('any-model');
  const errors: FieldError[] = Object.entries(selector)
    .filter(([k, v]) => podLabels[k] !== v)
    .map(([k, v]) => ({ field: `spec.selector.matchLabels.${k}`, message: `${k}=${v} is not on the vLLM pods the controller renders` }));
  endpoints.forEach((endpoint: unknown, i) => {
    const port = isObject(endpoint) ? endpoint['port'] : undefined;
    if (port !== HTTP_PORT_NAME) errors.push({ field: `spec.podMetricsEndpoints[${i}].port`, message: `the vLLM container's metrics port is named ${HTTP_PORT_NAME}` });
    const interval = isObject(endpoint) ? endpoint['interval'] : undefined;
    if (interval !== undefined && (typeof interval !== 'string' || !DURATION.test(interval))) errors.push({ field: `spec.podMetricsEndpoints[${i}].interval`, message: 'must be a duration' });
  });
  return errors;
}

/**
 * Validates one rendered object: built-in kinds against the Kubernetes OpenAPI schemas (kubernetes-models),
 * LemurModels against the CRD's schema, Prometheus Operator kinds structurally. An empty list means valid.
 */
export async function validateRenderedObject(obj: KubeObject, all: KubeObject[], crds: CrdObject[]): Promise<FieldError[]> {
  if (obj.apiVersion === 'monitoring.coreos.com/v1' && obj.kind === 'PrometheusRule') return checkPrometheusRule(obj);
  if (obj.apiVersion === 'monitoring.coreos.com/v1' && obj.kind === 'ServiceMonitor') return checkServiceMonitor(obj, all);
  if (obj.apiVersion === 'monitoring.coreos.com/v1' && obj.kind === 'PodMonitor') return checkVllmPodMonitor(obj);
  const extra = EXTRA_BUILTINS[`${String(obj.apiVersion)}/${String(obj.kind)}`];
  if (extra) {
    const Model = await extra();
    try {
      new Model(structuredClone(obj) as never).validate();
      return [];
    } catch (err) {
      return [{ field: '', message: (err as Error).message }];
    }
  }
  return validateKubernetesObject(obj, crds);
}
