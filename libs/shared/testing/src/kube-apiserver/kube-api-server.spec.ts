/* eslint-disable @typescript-eslint/no-explicit-any -- tests poke at raw JSON answers */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateKubernetesObject } from './crd-schema';
import { KubeApiServer } from './kube-api-server';

const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.dev' },
  spec: {
    group: 'example.dev',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string', default: 'grey' } },
              },
              status: { type: 'object', properties: { ready: { type: 'boolean' } } },
            },
          },
        },
      },
    ],
  },
};

function deployment(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
      ...extra,
    },
  };
}

/** Reads a chunked watch stream line by line. */
async function openWatch(url: string): Promise<{ next(skipBookmarks?: boolean): Promise<{ type: string; object: Record<string, any> }>; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(skipBookmarks = true) {
      for (;;) {
        const newline = buffer.indexOf('\n');
        if (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          const event = JSON.parse(line);
          if (skipBookmarks && event.type === 'BOOKMARK') continue;
          return event;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('watch stream ended');
        buffer += value;
      }
    },
    close: () => controller.abort(),
  };
}

describe('KubeApiServer', () => {
  let server: KubeApiServer;
  let base: string;
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': contentType }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeEach(async () => {
    const crdDir = mkdtempSync(join(tmpdir(), 'crds-'));
    writeFileSync(join(crdDir, 'widgets.yaml'), stringify(WIDGET_CRD));
    server = await KubeApiServer.start({ crdDirs: [crdDir], historySize: 50, bookmarkIntervalMs: 100 });
    base = `${server.url}`;
  });
  afterEach(() => server.close());

  it('creates with server-set metadata and answers 409 AlreadyExists, 404 NotFound as Status objects', async () => {
    const created = await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web'));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ name: 'web', namespace: 'default', generation: 1 });
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.body.spec.replicas).toBe(1);
    const again = await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web'));
    expect(again).toMatchObject({ status: 409, body: { kind: 'Status', reason: 'AlreadyExists', code: 409, message: 'deployments.apps "web" already exists' } });
    const missing = await call('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    expect(missing).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', message: 'deployments.apps "nope" not found' } });
    const noNamespace = await call('POST', '/apis/apps/v1/namespaces/ghost/deployments', deployment('web'));
    expect(noNamespace.status).toBe(404);
  });

  it('rejects invalid objects with 422 and field causes (schema and semantic rules)', async () => {
    const badType = await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web', { replicas: 'three' }));
    expect(badType.status).toBe(422);
    expect(badType.body.reason).toBe('Invalid');
    expect(badType.body.details.causes[0].field).toBe('spec.replicas');
    const mismatch = deployment('web');
    (mismatch['spec'] as any).selector.matchLabels = { app: 'other' };
    expect((await call('POST', '/apis/apps/v1/namespaces/default/deployments', mismatch)).status).toBe(422);
    const badLabel = deployment('web');
    (badLabel['metadata'] as any).labels = { model: 'OpenLemur/lemur-70b' };
    expect((await call('POST', '/apis/apps/v1/namespaces/default/deployments', badLabel)).status).toBe(422);
    const gpu = deployment('gpu');
    (gpu['spec'] as any).template.spec.containers[0].resources = { requests: { 'nvidia.com/gpu': 4 }, limits: { 'nvidia.com/gpu': 2 } };
    const gpuAnswer = await call('POST', '/apis/apps/v1/namespaces/default/deployments', gpu);
    expect(gpuAnswer.status).toBe(422);
    expect(gpuAnswer.body.message).toContain('nvidia.com/gpu');
    const badName = await call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } });
    expect(badName.status).toBe(422);
  });

  it('enforces optimistic concurrency and bumps generation only on spec changes', async () => {
    const created = (await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web'))).body;
    const scaled = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { ...created, spec: { ...created.spec, replicas: 3 } });
    expect(scaled.status).toBe(200);
    expect(scaled.body.metadata.generation).toBe(2);
    const stale = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { ...created, spec: { ...created.spec, replicas: 5 } });
    expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    expect(stale.body.message).toContain('the object has been modified');
    const labelled = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { metadata: { labels: { tier: 'x' } } }, 'application/merge-patch+json');
    expect(labelled.body.metadata.generation).toBe(2);
    const noop = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { metadata: { labels: { tier: 'x' } } }, 'application/merge-patch+json');
    expect(noop.body.metadata.resourceVersion).toBe(labelled.body.metadata.resourceVersion);
    const jsonPatched = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', [{ op: 'replace', path: '/spec/replicas', value: 2 }], 'application/json-patch+json');
    expect(jsonPatched.body.spec.replicas).toBe(2);
    expect(jsonPatched.body.metadata.generation).toBe(3);
    const failedTest = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', [{ op: 'test', path: '/spec/replicas', value: 9 }], 'application/json-patch+json');
    expect(failedTest.status).toBe(422);
  });

  it('serves coordination.k8s.io/v1 Leases: schema-checked, 409 on a stale write, patches and watches', async () => {
    const path = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'ctl' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.000000Z' } };
    const badType = await call('POST', path, { ...lease, spec: { ...lease.spec, leaseDurationSeconds: 'long' } });
    expect(badType.status).toBe(422);
    expect(badType.body.details.causes[0].field).toBe('spec.leaseDurationSeconds');
    const watch = await openWatch(`${base}${path}?watch=true&resourceVersion=${server.resourceVersion}`);
    const created = await call('POST', path, lease);
    expect(created.status).toBe(201);
    expect((await watch.next()).type).toBe('ADDED');
    const renewed = await call('PUT', `${path}/ctl`, { ...created.body, spec: { ...created.body.spec, renewTime: '2026-01-01T00:00:05.000000Z' } });
    expect(renewed.status).toBe(200);
    const raced = await call('PUT', `${path}/ctl`, { ...created.body, spec: { ...created.body.spec, holderIdentity: 'b' } });
    expect(raced).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    const patched = await call('PATCH', `${path}/ctl`, { spec: { holderIdentity: 'b' } }, 'application/merge-patch+json');
    expect(patched.body.spec).toMatchObject({ holderIdentity: 'b', renewTime: '2026-01-01T00:00:05.000000Z' });
    const listed = await call('GET', path);
    expect(listed.body.items.map((l: any) => l.spec.holderIdentity)).toEqual(['b']);
    expect((await watch.next()).object.spec.renewTime).toBe('2026-01-01T00:00:05.000000Z');
    expect((await watch.next()).object.spec.holderIdentity).toBe('b');
    watch.close();
  });

  it('refuses changes to immutable fields (Deployment selector, Service clusterIP, Pod spec)', async () => {
    const created = (await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web'))).body;
    const moved = structuredClone(created);
    moved.spec.selector.matchLabels = { app: 'web', v: '2' };
    moved.spec.template.metadata.labels = { app: 'web', v: '2' };
    expect((await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', moved)).status).toBe(422);
    const svc = (await call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } })).body;
    expect(svc.spec.clusterIP).toMatch(/^10\.96\./);
    expect((await call('PATCH', '/api/v1/namespaces/default/services/svc', { spec: { clusterIP: '10.0.0.1' } }, 'application/merge-patch+json')).status).toBe(422);
    await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } });
    expect((await call('PATCH', '/api/v1/namespaces/default/pods/p', { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await call('PATCH', '/api/v1/namespaces/default/pods/p', { spec: { restartPolicy: 'Never' } }, 'application/merge-patch+json')).status).toBe(422);
  });

  it('serves CRDs from files: schema validation with defaults, strict fields, and a /status subresource', async () => {
    const widget = { apiVersion: 'example.dev/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 2 }, status: { ready: true } };
    const created = await call('POST', '/apis/example.dev/v1/namespaces/default/widgets', widget);
    expect(created.status).toBe(201);
    expect(created.body.spec.color).toBe('grey');
    expect(created.body.status).toBeUndefined();
    expect((await call('POST', '/apis/example.dev/v1/namespaces/default/widgets', { ...widget, metadata: { name: 'w2' }, spec: { size: 0 } })).status).toBe(422);
    const typo = await call('POST', '/apis/example.dev/v1/namespaces/default/widgets', { ...widget, metadata: { name: 'w3' }, spec: { size: 1, colour: 'red' } });
    expect(typo.status).toBe(422);
    expect(typo.body.message).toContain('colour');
    const status = await call('PATCH', '/apis/example.dev/v1/namespaces/default/widgets/w1/status', { status: { ready: true }, spec: { size: 9 } }, 'application/merge-patch+json');
    expect(status.body).toMatchObject({ spec: { size: 2 }, status: { ready: true } });
    expect(status.body.metadata.generation).toBe(1);
    const specWrite = await call('PATCH', '/apis/example.dev/v1/namespaces/default/widgets/w1', { spec: { size: 3 }, status: { ready: false } }, 'application/merge-patch+json');
    expect(specWrite.body).toMatchObject({ spec: { size: 3 }, status: { ready: true }, metadata: { generation: 2 } });
    expect(await validateKubernetesObject({ ...widget, spec: { size: -1 } }, server.customResourceDefinitions())).not.toEqual([]);
  });

  it('lists with label selectors (equality and set-based)', async () => {
    for (const [name, tier] of [['a', 'web'], ['b', 'db'], ['c', 'cache']] as const) {
      await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { tier } } });
    }
    const names = async (selector: string) => (await call('GET', `/api/v1/namespaces/default/configmaps?labelSelector=${encodeURIComponent(selector)}`)).body.items.map((i: any) => i.metadata.name);
    expect(await names('tier=web')).toEqual(['a']);
    expect(await names('tier!=web')).toEqual(['b', 'c']);
    expect(await names('tier in (db,cache)')).toEqual(['b', 'c']);
    expect(await names('tier notin (db)')).toEqual(['a', 'c']);
    expect(await names('!tier')).toEqual([]);
    const list = await call('GET', '/api/v1/namespaces/default/configmaps');
    expect(list.body).toMatchObject({ kind: 'ConfigMapList', metadata: { resourceVersion: server.resourceVersion } });
  });

  it('streams watch events from a resourceVersion, sends bookmarks, and answers 410 Expired after compaction', async () => {
    const created = (await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web'))).body;
    const watch = await openWatch(`${base}/apis/apps/v1/namespaces/default/deployments?watch=1&allowWatchBookmarks=true&resourceVersion=${created.metadata.resourceVersion}`);
    await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { spec: { replicas: 4 } }, 'application/merge-patch+json');
    const modified = await watch.next();
    expect(modified).toMatchObject({ type: 'MODIFIED', object: { spec: { replicas: 4 } } });
    await call('DELETE', '/apis/apps/v1/namespaces/default/deployments/web');
    expect((await watch.next()).type).toBe('DELETED');
    const bookmark = await watch.next(false);
    expect(bookmark).toMatchObject({ type: 'BOOKMARK', object: { metadata: { resourceVersion: server.resourceVersion } } });
    watch.close();

    server.compactHistory();
    const expired = await openWatch(`${base}/apis/apps/v1/namespaces/default/deployments?watch=1&resourceVersion=${created.metadata.resourceVersion}`);
    expect(await expired.next()).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('turns selector transitions into ADDED/DELETED for a filtered watch', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { on: 'no' } } });
    const watch = await openWatch(`${base}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=on%3Dyes`);
    await call('PATCH', '/api/v1/namespaces/default/configmaps/x', { metadata: { labels: { on: 'yes' } } }, 'application/merge-patch+json');
    expect((await watch.next()).type).toBe('ADDED');
    await call('PATCH', '/api/v1/namespaces/default/configmaps/x', { metadata: { labels: { on: 'no' } } }, 'application/merge-patch+json');
    expect((await watch.next()).type).toBe('DELETED');
    watch.close();
  });

  it('garbage-collects dependents of a deleted owner, keeping those with another live owner', async () => {
    const owner = (await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('owner'))).body;
    const other = (await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('other'))).body;
    const ref = (o: any) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name: o.metadata.name, uid: o.metadata.uid });
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'only', ownerReferences: [{ ...ref(owner), controller: true }] } });
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', ownerReferences: [ref(owner), ref(other)] } });
    const deleted = await call('DELETE', '/apis/apps/v1/namespaces/default/deployments/owner', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
    expect(deleted.status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/only')).status).toBe(404);
    const shared = await call('GET', '/api/v1/namespaces/default/configmaps/shared');
    expect(shared.body.metadata.ownerReferences.map((r: any) => r.name)).toEqual(['other']);
    await call('DELETE', '/apis/apps/v1/namespaces/default/deployments/other');
    await expect.poll(async () => (await call('GET', '/api/v1/namespaces/default/configmaps/shared')).status).toBe(404);
  });

  it('serves discovery documents', async () => {
    const apps = await call('GET', '/apis/apps/v1');
    expect(apps.body.resources.map((r: any) => r.name)).toContain('deployments/status');
    const groups = await call('GET', '/apis');
    expect(groups.body.groups.map((g: any) => g.name)).toContain('example.dev');
  });
});
