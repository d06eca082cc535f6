import { DEFAULT_SANDBOX_POD_TEMPLATE } from '@lemur/sandbox-policy';
import { describe, expect, it } from 'vitest';
import { loadSandboxConfig } from '../config/sandbox.config';

describe('kubernetes backend settings', () => {
  it('are absent for the local backend and read once for kubernetes', () => {
    expect(loadSandboxConfig({}).kubernetes).toBeUndefined();
    expect(loadSandboxConfig({}).mode).toBe('service');
    const config = loadSandboxConfig({
      SANDBOX_BACKEND: 'kubernetes',
      SANDBOX_K8S_SERVER: 'http://127.0.0.1:6443',
      SANDBOX_K8S_NAMESPACE: 'sandboxes',
      SANDBOX_K8S_POOL_SIZE: '4',
      SANDBOX_K8S_TEMPLATE: '{"image":"registry.local/runner:1","runtimeClassName":"","memory":"2Gi"}',
      SANDBOX_K8S_OWNER: 'Deployment/lemur-sandbox',
      SANDBOX_K8S_SERVICE_LABELS: 'app=sandbox, tier=svc',
    });
    expect(config.kubernetes).toMatchObject({
      server: 'http://127.0.0.1:6443',
      inCluster: false,
      namespace: 'sandboxes',
      poolSize: 4,
      template: { ...DEFAULT_SANDBOX_POD_TEMPLATE, image: 'registry.local/runner:1', runtimeClassName: '', memory: '2Gi' },
      owner: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'lemur-sandbox' },
      serviceLabels: { app: 'sandbox', tier: 'svc' },
    });
  });

  it('name the variable and the fix when a setting is wrong', () => {
    const k8s = { SANDBOX_BACKEND: 'kubernetes' };
    expect(() => loadSandboxConfig({ ...k8s, SANDBOX_K8S_TEMPLATE: '{"runAsUser":0}' })).toThrow(/SANDBOX_K8S_TEMPLATE: .*runAsUser must be a non-root uid/);
    expect(() => loadSandboxConfig({ ...k8s, SANDBOX_K8S_TEMPLATE: '{"cpu":"lots"}' })).toThrow(/SANDBOX_K8S_TEMPLATE: .*cpu must be a Kubernetes quantity/);
    expect(() => loadSandboxConfig({ ...k8s, SANDBOX_K8S_TEMPLATE: '{"privileged":true}' })).toThrow(/SANDBOX_K8S_TEMPLATE/);
    expect(() => loadSandboxConfig({ ...k8s, SANDBOX_K8S_OWNER: 'Secret/x' })).toThrow(/SANDBOX_K8S_OWNER: must be Kind\/name/);
    expect(() => loadSandboxConfig({ ...k8s, SANDBOX_K8S_SERVICE_LABELS: 'app' })).toThrow(/SANDBOX_K8S_SERVICE_LABELS/);
    expect(() => loadSandboxConfig({ SANDBOX_MODE: 'pod' })).toThrow(/SANDBOX_MODE/);
  });
});
