import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { freePort, startSimulatorProcess, type SimulatorProcess } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInferenceConfig } from '../src/config/inference.config';
import { startInference } from '../src/inference.app';

type Client = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

// Replicas with a real prefix cache: an uncached prompt token costs 0.05 ms of prefill.
const SIM_ARGS = ['--model', 'sim=echo', '--ttft-ms', '2', '--ttft-per-token-ms', '0.05', '--tpot-ms', '1', '--block-size', '16'];

function metricSum(text: string, name: string, labels = ''): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const template = (t: number) =>
  Array.from({ length: 60 }, (_, i) => `Question ${t}.${i}: what is ${i} plus ${t}?\nAnswer: ${i + t}.\n`).join('');

describe('routing policies over real simulator replicas', () => {
  const sims: SimulatorProcess[] = [];
  let app: RunningGrpcApp;
  let client: Client;
  let dir: string;

  beforeAll(async () => {
    sims.push(...(await Promise.all(Array.from({ length: 4 }, () => startSimulatorProcess(SIM_ARGS)))));
    // A slow replica pair for the hot-prefix test: requests stay in flight long enough to build up load.
    sims.push(...(await Promise.all(Array.from({ length: 4 }, () => startSimulatorProcess([...SIM_ARGS, '--tpot-ms', '40'])))));
    dir = mkdtempSync(join(tmpdir(), 'lemur-routing-'));
    const modelsFile = join(dir, 'models.json');
    const urls = sims.map((s) => s.url);
    writeFileSync(
      modelsFile,
      JSON.stringify({
        models: [
          { name: 'prefix', servedModelName: 'sim', endpoints: urls.slice(0, 4) },
          { name: 'hot', servedModelName: 'sim', endpoints: urls.slice(4, 8) },
          { name: 'sticky', servedModelName: 'sim', endpoints: urls.slice(0, 4), routingPolicy: 'session-affinity' },
          { name: 'revive', servedModelName: 'sim', endpoints: urls.slice(0, 2), routingPolicy: 'least-outstanding', revision: 'rev-7' },
        ],
      }),
    );
    app = await startInference(
      loadInferenceConfig({
        LEMUR_MODELS_FILE: modelsFile,
        INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`,
        INFERENCE_METRICS_PORT: '0',
        INFERENCE_EJECT_AFTER_FAILURES: '2',
        INFERENCE_EJECT_MS: '300',
        INFERENCE_ENGINE_SCRAPE_MS: '200',
        LOG_LEVEL: 'silent',
      }),
    );
    client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 20_000 });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports each model routing policy and revision', async () => {
    const { models } = await client.listModels({});
    const byName = new Map(models.map((m) => [m.name, m]));
    expect(byName.get('prefix')).toMatchObject({ routingPolicy: 'prefix-affinity', endpoints: 4, readyEndpoints: 4 });
    expect(byName.get('sticky')).toMatchObject({ routingPolicy: 'session-affinity' });
    expect(byName.get('revive')).toMatchObject({ routingPolicy: 'least-outstanding', revision: 'rev-7' });
  });

  it('keeps each prompt prefix on one replica while load is low, where the replica serves it from its prefix cache', async () => {
    const homes = new Map<number, Set<string>>();
    const hitsBefore = await Promise.all(sims.slice(0, 4).map(async (s) => metricSum(await s.metrics(), 'vllm:prefix_cache_hits_total')));
    for (let q = 0; q < 24; q++) {
      const t = q % 3;
      const response = await client.generate({ model: 'prefix', prompt: `${template(t)}Question: item ${q}?\nAnswer:`, sampling: { maxTokens: 4 } });
      homes.set(t, (homes.get(t) ?? new Set()).add(response.endpoint));
    }
    for (const replicas of homes.values()) expect(replicas.size).toBe(1);
    const hitsAfter = await Promise.all(sims.slice(0, 4).map(async (s) => metricSum(await s.metrics(), 'vllm:prefix_cache_hits_total')));
    const hitTokens = hitsAfter.reduce((sum, v, i) => sum + v - hitsBefore[i]!, 0);
    // 21 of the 24 prompts repeat a ~1,500-token template that their replica has prefilled before.
    expect(hitTokens).toBeGreaterThan(21 * 1000);
  });

  it('spreads a hot prefix over several replicas once its home replica is loaded', async () => {
    const responses = await Promise.all(
      Array.from({ length: 24 }, (_, q) =>
        client.generate({ model: 'hot', prompt: `${template(9)}Question: hot ${q} ${'and more '.repeat(6)}\n\n${'say it slowly '.repeat(20)}`, sampling: { maxTokens: 20 } }),
      ),
    );
    const perReplica = new Map<string, number>();
    for (const r of responses) perReplica.set(r.endpoint, (perReplica.get(r.endpoint) ?? 0) + 1);
    expect(perReplica.size).toBeGreaterThanOrEqual(3);
    expect(Math.max(...perReplica.values())).toBeLessThanOrEqual(12);
  });

  it('sends every request of a session to one replica, and different sessions to different replicas', async () => {
    const homes = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let s = 0; s < 12; s++) {
        const sessionKey = `conversation-${s}`;
        const response = await client.generate({ model: 'sticky', prompt: `turn ${round} of ${sessionKey}`, sessionKey, sampling: { maxTokens: 4 } });
        homes.set(sessionKey, (homes.get(sessionKey) ?? new Set()).add(response.endpoint));
      }
    }
    for (const replicas of homes.values()) expect(replicas.size).toBe(1);
    expect(new Set([...homes.values()].map((s) => [...s][0])).size).toBeGreaterThanOrEqual(2);
  });

  it('ejects a killed replica, serves from the other meanwhile, and probes it back once it returns', async () => {
    const victim = sims[1]!;
    const port = Number(new URL(victim.url).port);
    await victim.close();
    const during = [];
    for (let i = 0; i < 8; i++) during.push(await client.generate({ model: 'revive', prompt: `while down ${i}`, sampling: { maxTokens: 4 } }));
    expect(during.every((r) => r.endpoint === sims[0]!.url)).toBe(true);
    expect(during.some((r) => r.attempts > 1)).toBe(true);
    expect((await client.listModels({})).models.find((m) => m.name === 'revive')).toMatchObject({ endpoints: 2, readyEndpoints: 1 });
    const metrics = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    expect(metricSum(metrics, 'lemur_inference_replica_ejections_total', `replica="${victim.url}"`)).toBeGreaterThanOrEqual(1);
    expect(metricSum(metrics, 'lemur_inference_replica_ready', `model="revive",replica="${victim.url}"`)).toBe(0);

    sims[1] = await startSimulatorProcess(SIM_ARGS, 30_000, port);
    let back = false;
    for (let i = 0; i < 250 && !back; i++) {
      const r = await client.generate({ model: 'revive', prompt: `after restart ${i}`, sampling: { maxTokens: 4 } });
      back = r.endpoint === victim.url;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back).toBe(true);
    expect((await client.listModels({})).models.find((m) => m.name === 'revive')).toMatchObject({ readyEndpoints: 2 });
  }, 90_000);

  it('scrapes the replicas engine metrics for routing', async () => {
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = await (await fetch(`${app.metricsUrl}/metrics`)).text();
      if (metricSum(text, 'lemur_inference_engine_scrapes_total', 'outcome="ok"') >= 8) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(metricSum(text, 'lemur_inference_engine_scrapes_total', 'outcome="ok"')).toBeGreaterThanOrEqual(8);
    expect(metricSum(text, 'lemur_inference_replica_engine_metrics_stale', 'model="hot"')).toBe(0);
  });
});
