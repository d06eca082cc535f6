// Eval throughput (samples/s through gateway -> eval workers -> inference -> simulator, each sample stored in Postgres)
// against what the simulator alone serves to a plain HTTP client at the same concurrency, measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetResolver, gsm8kBenchmark, loadBenchmarkItems } from '@lemur/benchmarks';
import { createTestDatabase } from '@lemur/shared-testing';
import { GatewayClient } from '../apps/cli/src/api/gateway-client';
import { loadCliEnvironment } from '../apps/cli/src/config/cli.config';
import { LocalPlatform } from '../apps/cli/src/local/local-platform';
import { runStandalone, type BenchResult } from './bench-result';

const ITEMS = 640;
const CONCURRENCY = 32;

async function simAlone(simUrl: string, prompts: string[]): Promise<number> {
  const s = gsm8kBenchmark.sampling;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < prompts.length) {
        const prompt = prompts[next++]!;
        const response = await fetch(`${simUrl}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'sim-oracle', prompt, max_tokens: s.maxTokens, temperature: s.temperature, top_p: s.topP, stop: s.stop, n: 1 }),
        });
        if (!response.ok) throw new Error(`simulator answered ${response.status}`);
        await response.json();
      }
    }),
  );
  return prompts.length / ((performance.now() - started) / 1000);
}

export async function run(): Promise<BenchResult> {
  const db = await createTestDatabase();
  const home = mkdtempSync(join(tmpdir(), 'lemur-bench-'));
  const env = { ...loadCliEnvironment(), databaseUrl: db.url, home, passthrough: { ...process.env, LOG_LEVEL: 'warn' } };
  const platform = await LocalPlatform.start({ env, gatewayPort: 0, workers: 1, log: () => undefined });
  try {
    const resolver = new DatasetResolver({ sharedDirs: [join(env.repoRoot, '../shared/datasets')], cacheDir: join(home, 'datasets'), online: true });
    const { items } = await loadBenchmarkItems(gsm8kBenchmark, resolver);
    const prompts = items.slice(0, ITEMS).map((item) => {
      const p = gsm8kBenchmark.buildPrompt(item, { chat: false });
      return p.kind === 'completion' ? p.text : '';
    });
    await simAlone(platform.simUrl, prompts.slice(0, CONCURRENCY)); // warm-up
    const baseline = await simAlone(platform.simUrl, prompts);

    const client = new GatewayClient(platform.gatewayUrl, platform.apiKey);
    const evalRun = async (limit: number) => {
      let run = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit, concurrency: CONCURRENCY });
      while (!['succeeded', 'failed', 'cancelled'].includes(run.status)) {
        await new Promise((r) => setTimeout(r, 1_000));
        run = await client.getRun(run.id);
      }
      return run;
    };
    // Warm-up, as for the simulator: the services' first queries pay one-off start-up costs (e.g. Prisma's query compiler).
    await evalRun(CONCURRENCY);
    const finished = await evalRun(ITEMS);
    const elapsed = finished.summary?.elapsedSeconds ?? Number.NaN;
    const throughput = ITEMS / elapsed;
    return {
      name: 'eval throughput vs simulator alone',
      ratio: throughput / baseline,
      target: '>= 0.8',
      ok: throughput / baseline >= 0.8,
      detail: `${ITEMS} GSM8K samples at concurrency ${CONCURRENCY}: eval ${throughput.toFixed(1)} samples/s (run ${finished.status}), simulator alone ${baseline.toFixed(1)} req/s`,
    };
  } finally {
    await platform.stop();
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (require.main === module) runStandalone(run);
