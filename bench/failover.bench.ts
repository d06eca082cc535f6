// Failover: 1,000 streaming requests through the inference service over 3 vllm-sim replicas (separate processes); one
// replica crashes part-way (its process exits, dropping every connection, as a dying pod does). Every request must
// either succeed whole or, if it was mid-stream on the dead replica, end with a clear error: no failure before the first
// token (those are retried elsewhere) and no silent truncation (a stream that ends "normally" short of its tokens).
// Run alone: TSX_TSCONFIG_PATH=tsconfig.json node --import tsx bench/failover.bench.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { createGrpcClient } from '@lemur/shared-grpc';
import { freePort, startSimulatorProcess } from '@lemur/shared-testing';
import { loadInferenceConfig } from '../apps/inference/src/config/inference.config';
import { startInference } from '../apps/inference/src/inference.app';
import { runStandalone, type BenchResult } from './bench-result';

const REQUESTS = 1000;
const CONCURRENCY = 64;
const MAX_TOKENS = 16;
// Streams spend most of their ~0.6 s decoding, so the crash catches some mid-stream and some before their first token.
const SIM_ARGS = ['--model', 'sim=echo', '--ttft-ms', '5', '--tpot-ms', '40'];
// The third replica dies when its 201st request arrives: about 60% into the run, with streams in flight on it.
const CRASH_AFTER = 200;

type Outcome = 'ok' | 'midStream' | 'beforeFirstToken' | 'silentTruncation';

function metricSum(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

export async function run(): Promise<BenchResult> {
  const sims = await Promise.all([
    startSimulatorProcess(SIM_ARGS),
    startSimulatorProcess(SIM_ARGS),
    startSimulatorProcess([...SIM_ARGS, '--crash-after', String(CRASH_AFTER)]),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'lemur-bench-failover-'));
  const modelsFile = join(dir, 'models.json');
  writeFileSync(modelsFile, JSON.stringify({ models: [{ name: 'm', servedModelName: 'sim', endpoints: sims.map((s) => s.url) }] }));
  const app = await startInference(
    loadInferenceConfig({
      LEMUR_MODELS_FILE: modelsFile,
      INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`,
      INFERENCE_METRICS_PORT: '0',
      INFERENCE_STREAM_IDLE_MS: '2000',
      LOG_LEVEL: 'silent',
    }),
  );
  const client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 60_000 });
  const counts: Record<Outcome, number> = { ok: 0, midStream: 0, beforeFirstToken: 0, silentTruncation: 0 };
  const midStreamErrors = new Set<string>();
  try {
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          // Echo answers the last paragraph: 40 words, so every answer is cut at exactly MAX_TOKENS tokens.
          const prompt = `Request ${i}.\n\n${Array.from({ length: 40 }, (_, w) => `w${w}`).join(' ')}`;
          let textChunks = 0;
          let finish = '';
          let usage: number | undefined;
          try {
            for await (const chunk of client.generateStream({ request: { model: 'm', prompt, sampling: { maxTokens: MAX_TOKENS } } })) {
              if (chunk.delta) textChunks += 1;
              if (chunk.finishReason) finish = chunk.finishReason;
              if (chunk.usage) usage = chunk.usage.completionTokens;
            }
            // Whole means: a finish reason, usage, and as many tokens streamed as usage says were generated.
            counts[finish && usage === MAX_TOKENS && textChunks === usage ? 'ok' : 'silentTruncation'] += 1;
          } catch (err) {
            if (textChunks === 0) counts.beforeFirstToken += 1;
            else {
              counts.midStream += 1;
              midStreamErrors.add(((err as Error).message ?? '').replace(/\d+/g, 'N').slice(0, 120));
            }
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const metrics = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    const good = counts.ok + counts.midStream;
    return {
      name: 'failover: requests that succeeded or failed mid-stream with an error, one of 3 replicas killed',
      ratio: good / REQUESTS,
      target: '= 1 (no failure before the first token, no silent truncation)',
      ok: good === REQUESTS && counts.beforeFirstToken === 0 && counts.silentTruncation === 0,
      detail:
        `${REQUESTS} streams at concurrency ${CONCURRENCY} in ${seconds.toFixed(1)} s: ok ${counts.ok}, mid-stream error ${counts.midStream}, ` +
        `failed before first token ${counts.beforeFirstToken}, silent truncation ${counts.silentTruncation}; ` +
        `retries ${metricSum(metrics, 'lemur_inference_retries_total')}, ejections ${metricSum(metrics, 'lemur_inference_replica_ejections_total')}; ` +
        `mid-stream errors: ${[...midStreamErrors].join(' | ') || 'none'}`,
    };
  } finally {
    client.close();
    await app.close();
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runStandalone(run);
