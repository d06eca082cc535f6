// Export of a 100k-sample run through the REST route (gateway <- gRPC stream <- eval <- keyset pages of Postgres):
// throughput in samples/s against the target, and the gateway's and eval's resident memory before, during and after
// (flat = the run is never held in memory; compare the peak growth with the size of the export).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@lemur/shared-testing';
import { loadCliEnvironment } from '../apps/cli/src/config/cli.config';
import { LocalPlatform } from '../apps/cli/src/local/local-platform';
import { runStandalone, type BenchResult } from './bench-result';
import { rssOf, seedLargeRun } from './large-run.fixture';

const TARGET_SAMPLES_PER_S = 20_000;
const HEAP_CAP_MB = 160;

interface Export {
  seconds: number;
  lines: number;
  bytes: number;
  peakRssMb: Record<string, number>;
}

async function exportOnce(url: string, apiKey: string, pids: Record<string, number>): Promise<Export> {
  const peak: Record<string, number> = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, rssOf(pid).rssMb]));
  const sampler = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) peak[name] = Math.max(peak[name]!, rssOf(pid).rssMb);
  }, 20);
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!response.ok || !response.body) throw new Error(`export answered ${response.status}: ${await response.text()}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  return { seconds, lines, bytes, peakRssMb: peak };
}

export async function run(): Promise<BenchResult> {
  const db = await createTestDatabase();
  const home = mkdtempSync(join(tmpdir(), 'lemur-bench-'));
  // V8 grows a busy heap lazily (about +200 MB here without a cap, given back later), which would hide retention: with
  // old space capped well below the export's size, an export that held the run in memory would crash the service.
  const env = {
    ...loadCliEnvironment(),
    databaseUrl: db.url,
    home,
    passthrough: { ...process.env, LOG_LEVEL: 'warn', NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --max-old-space-size=${HEAP_CAP_MB}`.trim() },
  };
  const platform = await LocalPlatform.start({ env, gatewayPort: 0, workers: 1, log: () => undefined });
  try {
    const seed = await seedLargeRun(db.url, 'local');
    const small = await seedLargeRun(db.url, 'local', seed.samples / 10, { listRuns: 0 });
    const pids = { gateway: platform.services.get('gateway')!.child.pid!, eval: platform.services.get('eval')!.child.pid! };
    const url = (format: string, runId = seed.runId) => `${platform.gatewayUrl}/v1/runs/${runId}/export?format=${format}`;
    // The first full export warms JIT and Postgres' cache; the figures are from the next two.
    const before = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, rssOf(pid)]));
    // Flat memory means the peak does not grow with the run: the same export of a run ten times smaller first, to compare.
    const tenth = await exportOnce(url('jsonl', small.runId), platform.apiKey, pids);
    const warm = await exportOnce(url('jsonl'), platform.apiKey, pids);
    const jsonl = await exportOnce(url('jsonl'), platform.apiKey, pids);
    const csv = await exportOnce(url('csv'), platform.apiKey, pids);
    const after = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, rssOf(pid)]));
    if (jsonl.lines !== seed.samples) throw new Error(`the export had ${jsonl.lines} lines for ${seed.samples} samples`);

    const rate = (e: Export) => seed.samples / e.seconds;
    const ratio = Math.min(rate(jsonl), rate(csv)) / TARGET_SAMPLES_PER_S;
    const mem = (name: string) =>
      `${name} RSS ${before[name]!.rssMb.toFixed(0)} MB before, peak ${tenth.peakRssMb[name]!.toFixed(0)} MB exporting ${small.samples / 1000}k samples ` +
      `vs ${Math.max(warm.peakRssMb[name]!, jsonl.peakRssMb[name]!, csv.peakRssMb[name]!).toFixed(0)} MB exporting ${seed.samples / 1000}k, ` +
      `${after[name]!.rssMb.toFixed(0)} MB after (VmHWM ${before[name]!.peakMb.toFixed(0)} -> ${after[name]!.peakMb.toFixed(0)} MB)`;
    return {
      name: `Export of a ${seed.samples / 1000}k-sample run over REST, samples/s against the ${TARGET_SAMPLES_PER_S / 1000}k/s target (slower of jsonl and csv; services' old space capped at ${HEAP_CAP_MB} MB)`,
      ratio,
      target: '>= 1 (20k samples/s) with flat memory',
      ok: ratio >= 1,
      baseline: `the target, ${TARGET_SAMPLES_PER_S} samples/s`,
      detail:
        `jsonl ${rate(jsonl).toFixed(0)} samples/s (${(jsonl.bytes / 1e6).toFixed(0)} MB in ${jsonl.seconds.toFixed(2)} s; first, cold: ${rate(warm).toFixed(0)}/s); ` +
        `csv ${rate(csv).toFixed(0)} samples/s (${(csv.bytes / 1e6).toFixed(0)} MB in ${csv.seconds.toFixed(2)} s); ${mem('gateway')}; ${mem('eval')}`,
    };
  } finally {
    await platform.stop();
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (require.main === module) runStandalone(run);
