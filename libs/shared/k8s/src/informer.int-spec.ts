import { KubeApiServer } from '@lemur/shared-testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Informer, type InformerEvent } from './informer';
import { KubeClient } from './kube-client';
import { createKubeConfig } from './kube-config';
import { CONFIG_MAPS, type IConfigMap } from './resources';

const configMap = (name: string, data: Record<string, string> = {}): IConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { app: 'x' } }, data });

describe('Informer against the in-process API server', () => {
  let server: KubeApiServer;
  let client: KubeClient;
  let informer: Informer<IConfigMap>;
  let events: InformerEvent<IConfigMap>[];
  const seen = (type: string, name: string) => events.some((e) => e.type === type && e.object.metadata?.name === name);

  beforeEach(async () => {
    server = await KubeApiServer.start({ bookmarkIntervalMs: 50 });
    client = new KubeClient(createKubeConfig({ server: server.url }));
    await client.create(CONFIG_MAPS, configMap('before'));
    informer = new Informer(client, CONFIG_MAPS, { namespace: 'default', labelSelector: 'app=x', minBackoffMs: 20, maxBackoffMs: 200 });
    events = [];
    informer.on((e) => events.push(e));
    await informer.start();
  });
  afterEach(async () => {
    await informer.stop();
    await server.close();
  });

  it('lists, then follows adds, updates and deletes through one watch (no polling)', async () => {
    expect(events).toEqual([expect.objectContaining({ type: 'add' })]);
    await client.create(CONFIG_MAPS, configMap('a'));
    await client.patch(CONFIG_MAPS, 'a', { data: { k: 'v' } }, { namespace: 'default' });
    await client.delete(CONFIG_MAPS, 'before', 'default');
    await expect.poll(() => seen('delete', 'before')).toBe(true);
    expect(events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual(['add:before', 'add:a', 'update:a', 'delete:before']);
    expect(informer.get('a', 'default')?.data).toEqual({ k: 'v' });
    expect(informer.list().map((c) => c.metadata?.name)).toEqual(['a']);
    const lists = server.requests.filter((r) => r.method === 'GET' && !r.watch && r.path.includes('/configmaps'));
    expect(lists).toHaveLength(1);
  });

  it('advances its resourceVersion with bookmarks', async () => {
    await client.create(CONFIG_MAPS, { ...configMap('other'), metadata: { name: 'other', namespace: 'default', labels: { app: 'y' } } });
    // The filtered watch never sees 'other', but a bookmark carries the newer resourceVersion.
    await expect.poll(() => informer.resourceVersion).toBe(server.resourceVersion);
  });

  it('backs off while watches fail, then lists again after 410 Gone and reports what changed while it was away', async () => {
    await expect.poll(() => server.activeWatches('configmaps')).toBe(1);
    server.suspendWatches();
    // While the informer cannot watch: one object changes, one comes, and the history is compacted.
    await client.patch(CONFIG_MAPS, 'before', { data: { changed: 'yes' } }, { namespace: 'default' });
    await client.create(CONFIG_MAPS, configMap('new'));
    server.compactHistory();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen('add', 'new')).toBe(false);
    server.resumeWatches();
    await expect.poll(() => informer.lists, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => seen('add', 'new')).toBe(true);
    expect(informer.get('before', 'default')?.data).toEqual({ changed: 'yes' });
    expect(seen('update', 'before')).toBe(true);
    await expect.poll(() => server.activeWatches('configmaps')).toBe(1);
    await client.delete(CONFIG_MAPS, 'new', 'default');
    await expect.poll(() => seen('delete', 'new')).toBe(true);
  });

  it('re-opens a watch the server dropped and resumes from where it was', async () => {
    await expect.poll(() => server.activeWatches('configmaps')).toBe(1);
    server.dropWatches();
    const watchesBefore = server.requests.filter((r) => r.watch).length;
    await expect.poll(() => server.requests.filter((r) => r.watch).length).toBeGreaterThan(watchesBefore);
    await client.create(CONFIG_MAPS, configMap('after-reconnect'));
    await expect.poll(() => seen('add', 'after-reconnect')).toBe(true);
    expect(informer.lists).toBe(1);
  });
});
