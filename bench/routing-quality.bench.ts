// Routing quality: mean and p99 time to first token through the inference service over 4 vllm-sim replicas (separate
// processes, each with a bounded prefix cache), on an eval-like workload where prompts share long few-shot prefixes
// from a handful of templates. Prefix affinity + load against round-robin (the baseline) and, reported, against
// least-outstanding; same run, same replicas, a fresh set of templates for each policy so none starts warm.
// Run alone: TSX_TSCONFIG_PATH=tsconfig.json node --import tsx bench/routing-quality.bench.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { createGrpcClient } from '@lemur/shared-grpc';
import { freePort, startSimulatorProcess, type SimulatorProcess } from '@lemur/shared-testing';
import { loadInferenceConfig } from '../apps/inference/src/config/inference.config';
import { startInference } from '../apps/inference/src/inference.app';
import { quantile, runStandalone, type BenchResult } from './bench-result';

const REPLICAS = 4;
const TEMPLATES = 12;
const REQUESTS = 400;
const CONCURRENCY = 16;
// ~1,700-token templates (~105 blocks of 16): all 12 do not fit one replica's 400-block prefix cache, 3 of them do.
// Prefill costs 0.25 ms per uncached token, so a miss adds ~0.4 s to the first token.
const SIM_ARGS = [
  '--model', 'sim=echo',
  '--ttft-ms', '5',
  '--ttft-per-token-ms', '0.25',
  '--tpot-ms', '2',
  '--block-size', '16',
  '--prefix-cache-blocks', '400',
  '--max-model-len', '8192',
];

function template(set: string, t: number): string {
  const shots = Array.from(
    { length: 60 },
    (_, i) => `Question ${set}${t}.${i}: a farmer has ${i + 3} crates of ${t + 2} apples; how many apples?\nAnswer: ${(i + 3) * (t + 2)}.\n\n`,
  );
  return `Solve each problem.\n\n${shots.join('')}`;
}

/** A well-mixed 32-bit hash of `n` (mulberry32's output step), for a reproducible pseudo-random order. */
function mulberry32(n: number): number {
  let t = (n + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

interface Stats {
  mean: number;
  p50: number;
  p99: number;
}

async function measure(grpcUrl: string, model: string, set: string): Promise<Stats> {
  const client = createGrpcClient(inferenceV1.InferenceService, grpcUrl, { defaultDeadlineMs: 60_000 });
  const templates = Array.from({ length: TEMPLATES }, (_, t) => template(set, t));
  // A fixed pseudo-random template order (same for every policy): an eval scheduler interleaves benchmarks.
  const order = Array.from({ length: REQUESTS }, (_, i) => mulberry32(i) % TEMPLATES);
  const ttfts: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const prompt = `${templates[order[i]!]!}Question: item ${i} of the eval, ${i * 7} pears?\nAnswer:`;
        const started = performance.now();
        let first: number | undefined;
        for await (const _chunk of client.generateStream({ request: { model, prompt, sampling: { maxTokens: 16 } } })) {
          first ??= performance.now() - started;
        }
        ttfts.push(first ?? Number.NaN);
      }
    }),
  );
  client.close();
  const sorted = [...ttfts].sort((a, b) => a - b);
  return { mean: ttfts.reduce((a, b) => a + b, 0) / ttfts.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

async function prefixHitRate(sims: SimulatorProcess[]): Promise<{ hits: number; queries: number }> {
  let hits = 0;
  let queries = 0;
  for (const sim of sims) {
    for (const line of (await sim.metrics()).split('\n')) {
      if (line.startsWith('vllm:prefix_cache_hits_total{')) hits += Number(line.split(' ').pop());
      if (line.startsWith('vllm:prefix_cache_queries_total{')) queries += Number(line.split(' ').pop());
    }
  }
  return { hits, queries };
}

export async function run(): Promise<BenchResult> {
  const sims = await Promise.all(Array.from({ length: REPLICAS }, () => startSimulatorProcess(SIM_ARGS)));
  const dir = mkdtempSync(join(tmpdir(), 'lemur-bench-routing-'));
  const modelsFile = join(dir, 'models.json');
  const endpoints = sims.map((s) => s.url);
  const policies = ['round-robin', 'least-outstanding', 'prefix-affinity'] as const;
  writeFileSync(
    modelsFile,
    JSON.stringify({ models: policies.map((policy) => ({ name: policy, servedModelName: 'sim', endpoints, routingPolicy: policy })) }),
  );
  const app = await startInference(
    loadInferenceConfig({
      LEMUR_MODELS_FILE: modelsFile,
      INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`,
      INFERENCE_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    }),
  );
  try {
    // Each policy in turn on the same replicas, with its own set of templates ('A', 'B', 'C'), so none starts warm.
    const measured: Record<string, Stats & { hitRate: number }> = {};
    for (const [i, policy] of policies.entries()) {
      const before = await prefixHitRate(sims);
      const stats = await measure(app.grpcUrl, policy, String.fromCharCode(65 + i));
      const after = await prefixHitRate(sims);
      measured[policy] = { ...stats, hitRate: ((after.hits - before.hits) / Math.max(1, after.queries - before.queries)) * 100 };
    }
    const { 'round-robin': roundRobin, 'least-outstanding': leastOutstanding, 'prefix-affinity': affinity } = measured as Record<(typeof policies)[number], Stats & { hitRate: number }>;
    const ratio = affinity.mean / roundRobin.mean;
    const fmt = (s: Stats & { hitRate: number }) =>
      `mean ${s.mean.toFixed(1)} ms, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms; prefix-cache hit rate ${s.hitRate.toFixed(0)}%`;
    return {
      name: 'routing quality: mean TTFT, prefix-affinity+load / round-robin',
      ratio,
      target: '<= 0.70 with p99 no worse',
      ok: ratio <= 0.7 && affinity.p99 <= roundRobin.p99,
      baseline: `round-robin ${fmt(roundRobin)}`,
      detail:
        `prefix-affinity ${fmt(affinity)}; least-outstanding (a stronger baseline, not judged) ${fmt(leastOutstanding)}, ` +
        `prefix-affinity / least-outstanding ${(affinity.mean / leastOutstanding.mean).toFixed(3)}; ` +
        `${REQUESTS} streams at concurrency ${CONCURRENCY}, ${TEMPLATES} few-shot templates (~1,700 tokens), ${REPLICAS} replicas`,
    };
  } finally {
    await app.close();
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runStandalone(run);
