import { KubeApiServer } from '@lemur/shared-testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlreadyExists, isConflict, KubeApiError } from './kube-api-error';
import { KubeClient } from './kube-client';
import { createKubeConfig } from './kube-config';
import { CONFIG_MAPS, DEPLOYMENTS, type IDeployment } from './resources';

function deployment(name: string): IDeployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
    },
  };
}

describe('KubeClient against the in-process API server', () => {
  let server: KubeApiServer;
  let client: KubeClient;
  beforeEach(async () => {
    server = await KubeApiServer.start();
    client = new KubeClient(createKubeConfig({ server: server.url }));
  });
  afterEach(() => server.close());

  it('creates, reads, lists, patches and deletes', async () => {
    const created = await client.create(DEPLOYMENTS, deployment('web'));
    expect(created.metadata?.uid).toBeTruthy();
    expect((await client.get(DEPLOYMENTS, 'web', 'default')).spec?.replicas).toBe(1);
    await client.create(DEPLOYMENTS, deployment('api'));
    const listed = await client.list(DEPLOYMENTS, { namespace: 'default', labelSelector: 'app in (web)' });
    expect(listed.items.map((d) => d.metadata?.name)).toEqual(['web']);
    expect(listed.items[0]?.kind).toBe('Deployment');
    expect(Number(listed.resourceVersion)).toBeGreaterThan(0);
    const patched = await client.patch(DEPLOYMENTS, 'web', { spec: { replicas: 3 } }, { namespace: 'default' });
    expect(patched.spec?.replicas).toBe(3);
    const jsonPatched = await client.patch(DEPLOYMENTS, 'web', [{ op: 'replace', path: '/spec/replicas', value: 2 }], { namespace: 'default', type: 'json' });
    expect(jsonPatched.spec?.replicas).toBe(2);
    const status = await client.patchStatus(DEPLOYMENTS, 'web', { status: { readyReplicas: 2, replicas: 2 } }, { namespace: 'default' });
    expect(status.status?.readyReplicas).toBe(2);
    expect(await client.delete(DEPLOYMENTS, 'web', 'default')).toBe(true);
    expect(await client.delete(DEPLOYMENTS, 'web', 'default')).toBe(false);
    expect(await client.find(DEPLOYMENTS, 'web', 'default')).toBeUndefined();
  });

  it('surfaces the server Status as KubeApiError (422 with causes, 409 AlreadyExists)', async () => {
    const bad = deployment('bad');
    bad.spec!.selector = { matchLabels: { app: 'other' } };
    const err = await client.create(DEPLOYMENTS, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(422);
    expect((err as KubeApiError).status?.details?.causes?.[0]?.field).toBe('spec.template.metadata.labels');
    await client.create(DEPLOYMENTS, deployment('dup'));
    const dup = await client.create(DEPLOYMENTS, deployment('dup')).catch((e: unknown) => e);
    expect(isAlreadyExists(dup)).toBe(true);
    expect(isConflict(dup)).toBe(false);
  });

  it('updateWithRetry re-reads and retries when another writer wins the race', async () => {
    await client.create(CONFIG_MAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counter', namespace: 'default' }, data: { n: '0' } });
    let interfered = false;
    let attempts = 0;
    const result = await client.updateWithRetry(CONFIG_MAPS, 'counter', 'default', async (cm) => {
      attempts++;
      if (!interfered) {
        interfered = true;
        // A second writer commits between our read and our write: our write must get 409 and be retried.
        await client.patch(CONFIG_MAPS, 'counter', { data: { other: 'x' } }, { namespace: 'default' });
      }
      return { ...cm, data: { ...cm.data, n: String(Number(cm.data?.['n']) + 1) } };
    });
    expect(attempts).toBe(2);
    expect(result.data).toEqual({ n: '1', other: 'x' });
    expect(server.requests.filter((r) => r.method === 'PUT' && r.status === 409)).toHaveLength(1);
  });

  it('createOrUpdate creates, then merges keeping fields owned by others, and never bumps the version for the same state', async () => {
    await client.createOrUpdate(DEPLOYMENTS, deployment('web'));
    await client.patch(DEPLOYMENTS, 'web', { spec: { replicas: 4 } }, { namespace: 'default' });
    const desired = deployment('web');
    desired.metadata!.labels = { app: 'web', tier: 'front' };
    const keepReplicas = (current: IDeployment, want: IDeployment): IDeployment => ({ ...current, metadata: { ...current.metadata, labels: want.metadata?.labels }, spec: { ...want.spec!, replicas: current.spec?.replicas } });
    const merged = await client.createOrUpdate(DEPLOYMENTS, desired, keepReplicas);
    expect(merged.spec?.replicas).toBe(4);
    expect(merged.metadata?.labels?.['tier']).toBe('front');
    // Writing the same desired state again (server defaults aside) must not create a new version.
    const again = await client.createOrUpdate(DEPLOYMENTS, desired, keepReplicas);
    expect(again.metadata?.resourceVersion).toBe(merged.metadata?.resourceVersion);
    const puts = server.requests.filter((r) => r.method === 'PUT').length;
    await client.createOrUpdate(DEPLOYMENTS, again);
    expect(server.requests.filter((r) => r.method === 'PUT').length).toBe(puts);
  });
});
