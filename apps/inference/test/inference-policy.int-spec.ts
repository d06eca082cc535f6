import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { PlatformErrorCode, type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createTestDatabase, freePort, startSimulatorProcess, type SimulatorProcess, type TestDatabase } from '@lemur/shared-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInferenceConfig } from '../src/config/inference.config';
import { startInference } from '../src/inference.app';

type Client = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('expected the call to fail');
}

function metricValue(text: string, name: string, labels: string[]): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const { BATCH, INTERACTIVE } = inferenceV1.Priority;

describe('inference policies over real gRPC: fairness and the response cache (real PostgreSQL, real simulators)', () => {
  const sims: SimulatorProcess[] = [];
  const apps: RunningGrpcApp[] = [];
  const clients: Client[] = [];
  let db: TestDatabase;
  let dir: string;
  let env: Record<string, string>;
  let client: Client;
  let metricsUrl: string;

  async function start(): Promise<{ client: Client; metricsUrl: string }> {
    const app = await startInference(loadInferenceConfig({ ...env, INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}` }));
    apps.push(app);
    const c = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 20_000 });
    clients.push(c);
    return { client: c, metricsUrl: app.metricsUrl };
  }

  beforeAll(async () => {
    const [fast, slow] = await Promise.all([
      startSimulatorProcess(['--model', 'echo=echo', '--fast']),
      startSimulatorProcess(['--model', 'slow=echo', '--ttft-ms', '700', '--tpot-ms', '1']),
    ]);
    sims.push(fast!, slow!);
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'lemur-inference-policy-'));
    const modelsFile = join(dir, 'models.json');
    writeFileSync(modelsFile, JSON.stringify({ models: [{ name: 'echo', endpoints: [fast!.url] }, { name: 'slow', endpoints: [slow!.url] }] }));
    env = {
      LEMUR_MODELS_FILE: modelsFile,
      INFERENCE_METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      INFERENCE_TEAM_MAX_CONCURRENT: '1',
      INFERENCE_TEAM_MAX_QUEUED: '2',
      INFERENCE_TEAM_LIMITS: JSON.stringify({ impatient: { maxQueueWaitMs: 200 }, wide: { maxConcurrent: 64, maxQueued: 64 } }),
    };
    ({ client, metricsUrl } = await start());
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(sims.map((s) => s.close()));
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const slow = (team: string, priority: inferenceV1.Priority, prompt = 'x') =>
    client.generate({ model: 'slow', prompt, team, priority, sampling: { maxTokens: 2, temperature: 0.5 } });

  describe('fairness', () => {
    it('serves a queued interactive request before an earlier batch request of the same team, and reports queue time', async () => {
      const order: string[] = [];
      const track = (name: string, p: Promise<inferenceV1.GenerateResponse>) => p.then((r) => (order.push(name), r));
      const running = track('running', slow('prio', BATCH));
      await new Promise((r) => setTimeout(r, 100));
      const batch = track('batch', slow('prio', BATCH));
      await new Promise((r) => setTimeout(r, 50));
      const interactive = track('interactive', slow('prio', INTERACTIVE));
      const [, , first] = await Promise.all([running, batch, interactive]);
      expect(order).toEqual(['running', 'interactive', 'batch']);
      expect(first.queueMs).toBeGreaterThan(300);
      // The replica's own time (700 ms to the first token) is reported apart from the wait for capacity.
      expect(first.upstreamMs).toBeGreaterThanOrEqual(650);
      // (Each of the three is rounded to whole milliseconds on its own.)
      expect(first.upstreamMs).toBeLessThanOrEqual(first.latencyMs - first.queueMs + 2);
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      expect(metricValue(text, 'lemur_inference_queue_time_seconds_count', ['team="prio"', 'priority="interactive"'])).toBe(1);
    });

    it('another team is not held back by a team at its limit', async () => {
      const blocked = [slow('busy', BATCH), slow('busy', BATCH)];
      await new Promise((r) => setTimeout(r, 100));
      const other = await slow('other', BATCH);
      expect(other.queueMs).toBeLessThan(300);
      await Promise.all(blocked);
    });

    it('rejects beyond the bounded queue with RESOURCE_EXHAUSTED naming the team and the limit', async () => {
      const accepted = [slow('full', BATCH), slow('full', BATCH), slow('full', BATCH)];
      await new Promise((r) => setTimeout(r, 100));
      const err = await failure(slow('full', BATCH));
      expect(err.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
      expect(err.message).toMatch(/team "full".*maxQueued=2/);
      await Promise.all(accepted);
    });

    it('rejects a request that waited past its bound', async () => {
      const running = slow('impatient', BATCH);
      await new Promise((r) => setTimeout(r, 50));
      const err = await failure(slow('impatient', BATCH));
      expect(err.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
      expect(err.message).toMatch(/team "impatient" waited \d+ ms.*maxQueueWaitMs=200/);
      await running;
    });

    it('a cancelled queued request leaves the queue: the next one takes the slot', async () => {
      const running = slow('cancel', BATCH);
      await new Promise((r) => setTimeout(r, 50));
      const controller = new AbortController();
      const cancelled = client.generate(
        { model: 'slow', prompt: 'c', team: 'cancel', priority: BATCH, sampling: { maxTokens: 2 } },
        { signal: controller.signal },
      );
      const next = slow('cancel', BATCH);
      await new Promise((r) => setTimeout(r, 100));
      controller.abort();
      await failure(cancelled);
      const first = await running;
      // The next request starts right after the first: had the cancelled one kept its place, it would also wait for a
      // whole second request (~700 ms more), however slow this machine makes the first.
      const answered = await next;
      expect(answered.queueMs).toBeLessThan(first.latencyMs + 400);
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      expect(metricValue(text, 'lemur_inference_queued_requests', ['team="cancel"'])).toBe(0);
    });
  });

  describe('response cache', () => {
    const greedy = (prompt: string, extra: { sampling?: { maxTokens: number; temperature: number }; noCache?: boolean } = {}) =>
      client.generate({ model: 'echo', prompt, team: 'wide', sampling: { maxTokens: 8, temperature: 0 }, ...extra });

    it('answers a repeated greedy request from the cache, with the same completion', async () => {
      const first = await greedy('cache me please');
      const second = await greedy('cache me please');
      expect(first.cached).toBe(false);
      expect(second).toMatchObject({ cached: true, endpoint: 'cache', attempts: 0, upstreamMs: 0 });
      expect(second.choices).toEqual(first.choices);
      expect(second.usage).toEqual(first.usage);
    });

    it('keys on sampling parameters and skips non-deterministic and no_cache requests', async () => {
      await greedy('keyed');
      expect((await greedy('keyed', { sampling: { maxTokens: 9, temperature: 0 } })).cached).toBe(false);
      const sampled = { model: 'echo', prompt: 'random', team: 'wide', sampling: { maxTokens: 8, temperature: 0.8 } };
      await client.generate(sampled);
      expect((await client.generate(sampled)).cached).toBe(false);
      const seeded = { ...sampled, sampling: { ...sampled.sampling, seed: 7n } };
      await client.generate(seeded);
      expect((await client.generate(seeded)).cached).toBe(true);
      expect((await greedy('keyed', { noCache: true })).cached).toBe(false);
    });

    it('fills the cache from a finished stream and serves cached completions as a stream', async () => {
      const request = { model: 'echo', prompt: 'stream me', team: 'wide', sampling: { maxTokens: 6, temperature: 0 } };
      const streamed: inferenceV1.GenerateStreamResponse[] = [];
      for await (const chunk of client.generateStream({ request })) streamed.push(chunk);
      const text = streamed.map((c) => c.delta).join('');
      expect(streamed.some((c) => c.endpoint === 'cache')).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
      const unary = await client.generate(request);
      expect(unary.cached).toBe(true);
      expect(unary.choices[0]!.text).toBe(text);
      const replay: inferenceV1.GenerateStreamResponse[] = [];
      for await (const chunk of client.generateStream({ request })) replay.push(chunk);
      expect(replay.every((c) => c.endpoint === 'cache')).toBe(true);
      expect(replay.map((c) => c.delta).join('')).toBe(text);
      expect(replay.at(-1)!.usage).toEqual(streamed.at(-1)!.usage);
    });

    it('survives a restart: a new inference process answers from PostgreSQL, and hits/misses are counted', async () => {
      // Writes go to the database after the answer, batched; wait until this answer's row is there rather than sleeping.
      const pool = new pg.Client({ connectionString: db.url });
      await pool.connect();
      const first = await greedy('remember across restarts');
      const stored = async () =>
        ((await pool.query("SELECT 1 FROM response_cache_entry WHERE choices->0->>'text' = $1", [first.choices[0]!.text])).rowCount ?? 0) > 0;
      for (let i = 0; i < 100 && !(await stored()); i++) await new Promise((r) => setTimeout(r, 50));
      await pool.end();
      // As in a restart: the new process starts after the old one's answer is stored, and finds it among the keys it loads.
      const fresh = await start();
      const again = await fresh.client.generate({ model: 'echo', prompt: 'remember across restarts', team: 'wide', sampling: { maxTokens: 8, temperature: 0 } });
      expect(again.cached).toBe(true);
      expect(again.choices).toEqual(first.choices);
      const text = await (await fetch(`${fresh.metricsUrl}/metrics`)).text();
      expect(metricValue(text, 'lemur_inference_cache_hits_total', ['model="echo"', 'team="wide"'])).toBe(1);
      const firstMetrics = await (await fetch(`${metricsUrl}/metrics`)).text();
      expect(metricValue(firstMetrics, 'lemur_inference_cache_misses_total', ['model="echo"'])).toBeGreaterThanOrEqual(5);
      expect(metricValue(firstMetrics, 'lemur_inference_requests_total', ['replica="cache"', 'outcome="ok"'])).toBeGreaterThanOrEqual(3);
    });
  });
});
