// Inference overhead: 256 concurrent streamed completions through gateway (OpenAI API, SSE) -> inference (gRPC,
// admission control, routing, metrics) -> vllm-sim, against the same client calling the simulator directly, in the same
// run. Every service is its own process, as deployed. Reports the added p50 latency (target < 2 ms) and the throughput
// ratio (target >= 0.9). Runnable alone: TSX_TSCONFIG_PATH=tsconfig.json node --import tsx bench/inference-overhead.bench.ts
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, freePort, startSimulatorProcess } from '@lemur/shared-testing';
import { Agent, request } from 'undici';
import { ServiceProcess } from '../apps/cli/src/local/service-process';
import type { BenchResult } from './bench-result';

// BENCH_INFERENCE_CONCURRENCY / _REQUESTS override the load, e.g. 1 stream to see the added latency of an idle path.
const CONCURRENCY = Number(process.env['BENCH_INFERENCE_CONCURRENCY'] ?? 256);
const REQUESTS_PER_STREAM = Number(process.env['BENCH_INFERENCE_REQUESTS'] ?? 2);
const ROUNDS = 2;
// Passes of each path before measuring: the services' CPU per stream falls by about half over their first ~2,000
// streams (JIT tiers, heap growth) and is flat after, so fewer warm-up passes would time the start-up, not the path.
const WARMUP_PASSES = Number(process.env['BENCH_INFERENCE_WARMUP_PASSES'] ?? 4);
// A 70B model's pace (40 ms to the first token, 25 ms a token) for short answers (~10 tokens: echo answers the prompt),
// so the simulator, not this machine's CPU, sets the direct baseline, as a GPU would.
const SIM_FLAGS = ['--ttft-ms', '40', '--tpot-ms', '25', '--batch-slowdown', '0', '--max-num-seqs', '1024'];
const PROMPT = Array.from({ length: 10 }, (_, i) => `w${i}`).join(' ');

interface Pass {
  latenciesMs: number[];
  /** Milliseconds from sending the request to the first byte of the body (the role chunk or first token). */
  firstByteMs: number[];
  requestsPerSecond: number;
  /** CPU milliseconds per request of each process (client, simulator, and on the platform path gateway, inference). */
  cpuMsPerRequest: Record<string, number>;
}

// utime + stime of a process in clock ticks (USER_HZ is 100 on Linux), from /proc/<pid>/stat; fields 14 and 15 come
// after the command name, which is in parentheses and may hold spaces.
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The simulator's pid: the child of this process running apps/vllm-sim (the launcher does not expose it). */
function simulatorPid(): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('vllm-sim')) return Number(entry);
    } catch {
      // the process ended while listing
    }
  }
  throw new Error('vllm-sim process not found');
}

/** CPU milliseconds used so far by each named process; `client` is this process. */
function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const { user, system } = process.cpuUsage();
  return { client: (user + system) / 1000, ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid)])) };
}

const agent = new Agent({ connections: CONCURRENCY * 2, keepAliveTimeout: 30_000 });
// The gateway's API key, sent to the simulator too so that both paths get the same request.
let authorization = '';

/** One streamed completion, read to its `[DONE]`; returns the end-to-end latency and the time to the body's first byte. */
async function streamOnce(url: string): Promise<{ totalMs: number; firstByteMs: number }> {
  const started = performance.now();
  const response = await request(`${url}/v1/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ model: 'sim', prompt: PROMPT, max_tokens: 64, temperature: 0.7, stream: true }),
  });
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${await response.body.text()}`);
  let tail = '';
  let firstByteMs = -1;
  for await (const chunk of response.body) {
    if (firstByteMs < 0) firstByteMs = performance.now() - started;
    tail = (tail + (chunk as Buffer).toString('utf8')).slice(-64);
  }
  if (!tail.includes('data: [DONE]')) throw new Error(`${url}: stream ended without [DONE]`);
  return { totalMs: performance.now() - started, firstByteMs };
}

async function pass(url: string, pids: Record<string, number>, requestsPerStream = REQUESTS_PER_STREAM): Promise<Pass> {
  const latenciesMs: number[] = [];
  const firstByteMs: number[] = [];
  const cpuBefore = cpuSnapshot(pids);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < requestsPerStream; i++) {
        const timing = await streamOnce(url);
        latenciesMs.push(timing.totalMs);
        firstByteMs.push(timing.firstByteMs);
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const cpuAfter = cpuSnapshot(pids);
  const cpuMsPerRequest = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, (cpuAfter[k]! - cpuBefore[k]!) / latenciesMs.length]));
  return { latenciesMs, firstByteMs, requestsPerSecond: latenciesMs.length / elapsedS, cpuMsPerRequest };
}

/** Mean CPU ms per request of each process over the passes, e.g. `gateway 1.20, inference 0.90`. */
function cpuSummary(passes: Pass[]): string {
  const names = Object.keys(passes[0]!.cpuMsPerRequest);
  return names.map((n) => `${n} ${(passes.reduce((sum, p) => sum + p.cpuMsPerRequest[n]!, 0) / passes.length).toFixed(2)}`).join(', ');
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<BenchResult> {
  const repoRoot = resolve(__dirname, '..');
  const dir = mkdtempSync(join(tmpdir(), 'lemur-bench-inference-'));
  // The gateway keeps its API keys in PostgreSQL; its local admin key (written to a file at start) authenticates the bench.
  const db = await createTestDatabase();
  const keyFile = join(dir, 'admin.key');
  const sim = await startSimulatorProcess(['--model', 'sim=echo', '--log-level', 'warn', ...SIM_FLAGS]);
  const services: ServiceProcess[] = [];
  let failed = true;
  try {
    const modelsFile = join(dir, 'models.json');
    writeFileSync(modelsFile, JSON.stringify({ models: [{ name: 'sim', endpoints: [sim.url], kind: 'sim' }] }));
    const [grpcPort, metricsPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
    // BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of the gateway and the inference service there (read the top frames).
    const profileDir = process.env['BENCH_PROFILE_DIR'];
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : [];
    const env = { PATH: process.env['PATH'], LOG_LEVEL: 'warn' };
    const inference = ServiceProcess.start({
      name: 'inference',
      repoRoot,
      entry: 'apps/inference/src/main.ts',
      nodeArgs,
      env: { ...env, LEMUR_MODELS_FILE: modelsFile, INFERENCE_GRPC_URL: `127.0.0.1:${grpcPort}`, INFERENCE_METRICS_PORT: String(metricsPort) },
      logDir: dir,
    });
    services.push(inference);
    const gateway = ServiceProcess.start({
      name: 'gateway',
      repoRoot,
      entry: 'apps/gateway/src/main.ts',
      nodeArgs,
      env: {
        ...env,
        GATEWAY_PORT: String(gatewayPort),
        INFERENCE_ADDR: `127.0.0.1:${grpcPort}`,
        EVAL_ADDR: `127.0.0.1:${await freePort()}`,
        DATABASE_URL: db.url,
        GATEWAY_BOOTSTRAP_KEY_FILE: keyFile,
      },
      logDir: dir,
    });
    services.push(gateway);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await inference.waitReady(`http://127.0.0.1:${metricsPort}/healthz`, 180_000);
    // /health would wait for the eval service too, which this bench does not start; /metrics needs no key.
    await gateway.waitReady(`${gatewayUrl}/metrics`, 180_000);
    authorization = `Bearer ${readFileSync(keyFile, 'utf8').trim()}`;

    // Warm both paths (connection pools, JIT) to their steady state, then alternate so drift on a shared machine hits
    // both alike.
    const simPids = { simulator: simulatorPid() };
    const platformPids = { ...simPids, gateway: gateway.child.pid!, inference: inference.child.pid! };
    for (let i = 0; i < WARMUP_PASSES; i++) {
      await pass(sim.url, simPids);
      await pass(gatewayUrl, platformPids);
    }
    const direct: Pass[] = [];
    const through: Pass[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      direct.push(await pass(sim.url, simPids));
      through.push(await pass(gatewayUrl, platformPids));
    }
    const all = (passes: Pass[]) => passes.flatMap((p) => p.latenciesMs);
    const firstByte = (passes: Pass[]) => percentile(passes.flatMap((p) => p.firstByteMs), 50);
    const rate = (passes: Pass[]) => passes.reduce((sum, p) => sum + p.requestsPerSecond, 0) / passes.length;
    const [p50Direct, p50Through] = [percentile(all(direct), 50), percentile(all(through), 50)];
    const [p99Direct, p99Through] = [percentile(all(direct), 99), percentile(all(through), 99)];
    const addedP50 = p50Through - p50Direct;
    const ratio = rate(through) / rate(direct);
    failed = false;
    return {
      name: `inference overhead (gateway -> inference -> vllm-sim vs vllm-sim, ${CONCURRENCY} streams)`,
      ratio,
      target: 'throughput >= 0.9 of direct and added p50 < 2 ms',
      ok: ratio >= 0.9 && addedP50 < 2,
      baseline:
        `direct to the simulator: ${rate(direct).toFixed(0)} streams/s, p50 ${p50Direct.toFixed(1)} ms (first byte ${firstByte(direct).toFixed(1)} ms), ` +
        `p99 ${p99Direct.toFixed(1)} ms; ` +
        `CPU ms per stream: ${cpuSummary(direct)}`,
      detail:
        `through the platform: ${rate(through).toFixed(0)} streams/s, p50 ${p50Through.toFixed(1)} ms (first byte ${firstByte(through).toFixed(1)} ms) ` +
        `(added ${addedP50.toFixed(2)} ms), p99 ${p99Through.toFixed(1)} ms (added ${(p99Through - p99Direct).toFixed(1)} ms); ` +
        `CPU ms per stream: ${cpuSummary(through)}; ${all(through).length} streams per path over ${ROUNDS} alternating rounds; ` +
        // When the machine is this busy, the direct path is CPU-bound too and the ratio approaches the CPU ratio.
        `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`,
    };
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await sim.close();
    await db.drop();
    // On failure the services' logs stay for the error message's pointer.
    if (!failed) rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run()
    .then((r) => console.log(`${r.ok ? 'ok  ' : 'MISS'} ${r.name}: ${r.ratio.toFixed(3)} (target ${r.target})\n     baseline: ${r.baseline}\n     ${r.detail}`))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    })
    .finally(() => void agent.close());
}
