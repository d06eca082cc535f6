import { Writable } from 'node:stream';
import { resolveSpec, type LemurModelSpec } from '@lemur/model-serving';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { createLogger } from '@lemur/shared-logging';
import { createTestDatabase, startSimulatorProcess, type SimulatorProcess, type TestDatabase } from '@lemur/shared-testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseCacheRepository } from '../src/cache/response-cache.repository';
import { ResponseCacheService } from '../src/cache/response-cache.service';
import { FairAdmissionService } from '../src/fairness/fair-admission.service';
import { FairnessMetrics } from '../src/fairness/fairness.metrics';
import { GenerateMetrics } from '../src/generate/generate.metrics';
import { type GenerateCommand, GenerateService } from '../src/generate/generate.service';
import { registryEntry } from '../src/kubernetes/lemur-model.controller';
import { ModelRegistry } from '../src/registry/model-registry';

const SHA = '9e1f2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6';

const spec = (modelName: string, revision: string): LemurModelSpec => ({
  modelName,
  source: { huggingFace: { repo: 'OpenLemur/lemur-70b-v1', revision } },
  engine: { image: 'vllm/vllm-openai:v0.11.0', tensorParallelSize: 4 },
});

describe('the response cache for LemurModel entries (real PostgreSQL, a real simulator)', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let sim: SimulatorProcess;
  let cache: ResponseCacheService;
  let service: GenerateService;
  let stored: () => Promise<{ model: string; revision: string }[]>;
  const log: string[] = [];
  const metrics = new Registry();

  beforeAll(async () => {
    [db, sim] = await Promise.all([createTestDatabase(), startSimulatorProcess(['--model', 'pinned=echo', '--model', 'moving=echo', '--fast'])]);
    prisma = createPrismaClient(db.url);
    stored = async () => (await prisma.responseCacheEntry.findMany({ select: { model: true, revision: true } })).map((r) => ({ model: r.model, revision: r.revision }));
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        log.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('test', 'info', destination);
    const models = new ModelRegistry({ models: [] }, {});
    for (const [name, revision] of [['pinned', SHA], ['moving', 'main']] as const) models.upsert(registryEntry(resolveSpec(spec(name, revision)), [sim.url]));
    cache = new ResponseCacheService(new ResponseCacheRepository(prisma), { ttlMs: 60_000, memoryEntries: 0, maxRows: 1_000 }, logger);
    const admission = new FairAdmissionService(
      { maxConcurrent: 16, defaults: { maxConcurrent: 16, tokensPerMinute: 0, maxQueued: 16, maxQueueWaitMs: 10_000, weight: 1 }, teams: {} },
      new FairnessMetrics(new Registry()),
    );
    const timeouts = { maxAttempts: 2, upstreamTimeoutMs: 10_000, firstByteTimeoutMs: 10_000, idleTimeoutMs: 10_000 };
    service = new GenerateService(models, new GenerateMetrics(metrics), logger, timeouts, admission, cache);
  }, 90_000);

  afterAll(async () => {
    await cache?.close();
    await prisma?.$disconnect();
    await sim?.close();
    await db?.drop();
  });

  const greedy = (model: string, prompt: string): GenerateCommand => ({ model, prompt, maxTokens: 6, temperature: 0, topP: 1, stop: [], n: 1, team: 't', priority: 'interactive', noCache: false });
  const ask = (model: string, prompt: string) => service.generate(greedy(model, prompt), new AbortController().signal);

  async function rowsFor(model: string, atLeast: number) {
    for (let i = 0; i < 100 && (await stored()).filter((r) => r.model === model).length < atLeast; i++) await new Promise((r) => setTimeout(r, 50));
    return (await stored()).filter((r) => r.model === model);
  }

  it('caches a model pinned to a commit sha, under its serving identity', async () => {
    expect((await ask('pinned', 'same question')).cached).toBe(false);
    const rows = await rowsFor('pinned', 1);
    expect(rows).toEqual([{ model: 'pinned', revision: expect.stringMatching(new RegExp(`^OpenLemur/lemur-70b-v1@${SHA}#[0-9a-f]{16}$`)) }]);
    expect(await ask('pinned', 'same question')).toMatchObject({ cached: true, endpoint: 'cache' });
  });

  it('neither reads nor writes the cache for a model on a branch, and says so once', async () => {
    const first = await ask('moving', 'same question');
    const second = await ask('moving', 'same question');
    for await (const chunk of service.generateStream(greedy('moving', 'streamed'), new AbortController().signal)) expect(chunk.endpoint).toBe(sim.url);
    expect([first.cached, second.cached]).toEqual([false, false]);
    expect(second.endpoint).toBe(sim.url);
    // The pinned model's row (written after the moving model's answers) shows the write queue has been flushed.
    await ask('pinned', 'flush marker');
    await rowsFor('pinned', 2);
    expect((await stored()).filter((r) => r.model === 'moving')).toEqual([]);
    // Not looked up either: a lookup counts as a hit or a miss.
    const lookups = (await metrics.getMetricsAsJSON()).filter((m) => m.name.startsWith('lemur_inference_cache_'));
    const byModel = (model: string) => lookups.flatMap((m) => m.values).filter((v) => v.labels['model'] === model).reduce((sum, v) => sum + v.value, 0);
    expect(byModel('moving')).toBe(0);
    expect(byModel('pinned')).toBeGreaterThanOrEqual(3);
    const said = log.filter((l) => l.includes('cache off for model moving'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain("cache off for model moving: revision 'main' is not a commit sha; pin one to cache its answers");
  });
});
