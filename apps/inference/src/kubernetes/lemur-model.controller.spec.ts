import { ANNOTATIONS, type AutoscalePolicy, decideReplicas, type LemurModel, type LemurModelSpec, resolveSpec, servingIdentity } from '@lemur/model-serving';
import type { IDeployment } from '@lemur/shared-k8s';
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../registry/model-registry';
import { adoptedScale, annotatedRequestAt, registryEntry } from './lemur-model.controller';

const withReplicas = (replicas: number): IDeployment => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'm' }, spec: { replicas, selector: {}, template: {} } });

describe('adoptedScale (where a model starts when the controller first sees it)', () => {
  const bounds = { minReplicas: 1, maxReplicas: 4 };

  it('starts a model without a Deployment at minReplicas', () => {
    expect(adoptedScale(bounds, undefined, undefined, 5_000)).toEqual({ desired: 1, autoscaler: { recommendations: [], lastActivityAt: 5_000 } });
  });

  it("keeps an existing Deployment's count within the bounds, active now, with its last scale time", () => {
    expect(adoptedScale(bounds, withReplicas(3), '2026-01-01T00:00:00Z', 5_000)).toEqual({
      desired: 3,
      autoscaler: { recommendations: [{ at: 5_000, replicas: 3 }], lastActivityAt: 5_000 },
      lastScaleTime: '2026-01-01T00:00:00Z',
    });
    expect(adoptedScale(bounds, withReplicas(9), undefined, 0).desired).toBe(4);
    expect(adoptedScale(bounds, withReplicas(0), undefined, 0).desired).toBe(1);
    expect(adoptedScale({ minReplicas: 0, maxReplicas: 2 }, withReplicas(0), undefined, 0).desired).toBe(0);
    expect(adoptedScale({ minReplicas: 0, maxReplicas: 2 }, withReplicas(1), undefined, 0).desired).toBe(1);
  });

  it('holds an adopted count for a whole stabilization window before scaling down', () => {
    const policy: AutoscalePolicy = {
      ...bounds,
      minReplicas: 0,
      targetWaitingPerReplica: 2,
      targetRunningPerReplica: 8,
      targetKvCacheUsage: 0.8,
      scaleDownStabilizationMs: 300_000,
      scaleToZeroAfterMs: 600_000,
    };
    const idle = [{ running: 0, waiting: 0, kvCacheUsage: 0 }];
    const adopted = adoptedScale(policy, withReplicas(3), undefined, 0);
    expect(decideReplicas(adopted.desired, [...idle, ...idle, ...idle], policy, adopted.autoscaler, 10_000).replicas).toBe(3);
    expect(decideReplicas(adopted.desired, [...idle, ...idle, ...idle], policy, adopted.autoscaler, 301_000).replicas).toBe(1);
  });
});

describe("annotatedRequestAt (other replicas' requests, as the leader's idle clock reads them)", () => {
  const withAnnotations = (annotations?: Record<string, string>) => ({ metadata: { name: 'm', ...(annotations ? { annotations } : {}) } }) as LemurModel;

  it('reads the last-request annotation as epoch ms, and nothing from an absent or unreadable one', () => {
    expect(annotatedRequestAt(withAnnotations({ [ANNOTATIONS.lastRequestAt]: '2026-01-01T00:00:05.250Z' }))).toBe(Date.parse('2026-01-01T00:00:05.250Z'));
    expect(annotatedRequestAt(withAnnotations())).toBeUndefined();
    expect(annotatedRequestAt(withAnnotations({ [ANNOTATIONS.lastRequestAt]: 'yesterday-ish' }))).toBeUndefined();
    expect(annotatedRequestAt(undefined)).toBeUndefined();
  });
});

describe('registryEntry (what a LemurModel registers with the router)', () => {
  const SHA = '9e1f2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6';
  const spec = (revision: string, image = 'vllm/vllm-openai:v0.11.0'): LemurModelSpec => ({
    modelName: 'OpenLemur/lemur-70b-v1',
    source: { huggingFace: { repo: 'OpenLemur/lemur-70b-v1', revision } },
    engine: { image, tensorParallelSize: 4, maxModelLen: 4096 },
  });
  const registered = (s: LemurModelSpec) => new ModelRegistry({ models: [] }, {}).upsert(registryEntry(resolveSpec(s), ['http://10.0.0.7:8000']));

  it('carries the serving identity as its revision, cached when the revision is a commit sha', () => {
    const model = registered(spec(SHA));
    expect(model.revision).toBe(servingIdentity(spec(SHA)).identity);
    expect(model.revision.startsWith(`OpenLemur/lemur-70b-v1@${SHA}#`)).toBe(true);
    expect(model.cacheOff).toBeUndefined();
    expect(model.router.urls()).toEqual(['http://10.0.0.7:8000']);
  });

  it('changes its revision when the image changes', () => {
    expect(registered(spec(SHA, 'vllm/vllm-openai:v0.11.1')).revision).not.toBe(registered(spec(SHA)).revision);
  });

  it('turns the cache off, saying why, when the revision is a branch or tag', () => {
    const model = registered(spec('main'));
    expect(model.revision.startsWith('OpenLemur/lemur-70b-v1@main#')).toBe(true);
    expect(model.cacheOff).toBe("revision 'main' is not a commit sha; pin one to cache its answers");
  });

  it('names PVC weights by claim and path, cached', () => {
    const model = registered({ ...spec(SHA), source: { pvc: { claimName: 'weights', path: '/lemur/70b' } } });
    expect(model.revision).toMatch(/^pvc:weights\/lemur\/70b#[0-9a-f]{16}$/);
    expect(model.cacheOff).toBeUndefined();
  });
});
