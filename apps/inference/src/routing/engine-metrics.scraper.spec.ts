import { createServer, type Server } from 'node:http';
import { createLogger } from '@lemur/shared-logging';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../registry/model-registry';
import { EngineMetricsScraper } from './engine-metrics.scraper';
import { RoutingMetrics } from './routing.metrics';

// Real HTTP servers standing in for replicas' /metrics pages.
function serve(handler: (path: string) => { status: number; body: string }): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    const { status, body } = handler(req.url ?? '');
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      done({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server, hits: () => hits });
    }),
  );
}

describe('EngineMetricsScraper', () => {
  let busy: Awaited<ReturnType<typeof serve>>;
  let idle: Awaited<ReturnType<typeof serve>>;
  let broken: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    busy = await serve(() => ({
      status: 200,
      body: 'vllm:num_requests_running{model_name="m"} 6\nvllm:num_requests_waiting{model_name="m"} 2\nvllm:kv_cache_usage_perc{model_name="m"} 0.5\n',
    }));
    idle = await serve(() => ({ status: 200, body: 'vllm:num_requests_running{model_name="m"} 0\nvllm:num_requests_waiting{model_name="m"} 0\n' }));
    broken = await serve(() => ({ status: 404, body: 'not found' }));
  });
  afterAll(() => Promise.all([busy, idle, broken].map((s) => new Promise((done) => s.server.close(done)))));

  it('feeds scraped load to the routers, counts failures and backs off from a replica without metrics', async () => {
    const registry = new Registry();
    const metrics = new RoutingMetrics(registry);
    const models = new ModelRegistry(
      { models: [{ name: 'm', endpoints: [busy.url, idle.url, broken.url], routingPolicy: 'load-aware' }] },
      {},
    );
    metrics.observe(models);
    const scraper = new EngineMetricsScraper(models, { intervalMs: 1000, timeoutMs: 1000, maxBackOffMs: 30_000 }, metrics, createLogger('test', 'silent'));
    const t0 = Date.now();
    await scraper.scrapeAll(t0);
    const byUrl = new Map(models.get('m').router.snapshot(Date.now()).map((e) => [e.url, e]));
    expect(byUrl.get(busy.url)).toMatchObject({ stale: false, load: 6 + 2 + 2 + 4 * 0.5 });
    expect(byUrl.get(idle.url)).toMatchObject({ stale: false, load: 0 });
    expect(byUrl.get(broken.url)).toMatchObject({ stale: true });
    expect(models.get('m').router.pick({ prompt: 'x' }, Date.now(), new Set([broken.url]))!.url).toBe(idle.url);

    const brokenHits = broken.hits();
    await scraper.scrapeAll(t0 + 500);
    expect(broken.hits()).toBe(brokenHits);
    await scraper.scrapeAll(t0 + 5000);
    expect(broken.hits()).toBe(brokenHits + 1);

    const text = await registry.metrics();
    expect(text).toMatch(new RegExp(`lemur_inference_engine_scrapes_total\\{replica="${broken.url}",outcome="error"\\} 2`));
    expect(text).toMatch(new RegExp(`lemur_inference_replica_engine_metrics_stale\\{model="m",replica="${broken.url}",policy="load-aware"\\} 1`));
    expect(text).toMatch(new RegExp(`lemur_inference_replica_load\\{model="m",replica="${busy.url}",policy="load-aware"\\} 12`));
    await scraper.close();
  });
});
