// The OpenAI-compatible route tells a client refused for load when to come back: the wait inference's fair queue
// computed, through gateway (HTTP) -> inference (gRPC, its own process) -> vllm-sim.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTestDatabase, freePort, startSimulatorProcess, type SimulatorProcess, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config/gateway.config';
import { startGateway, type RunningGateway } from '../src/gateway.app';
import { TestApiKeys } from './test-api-keys';

let sim: SimulatorProcess;
let inference: ChildProcess;
let gateway: RunningGateway;
let db: TestDatabase;
let keys: TestApiKeys;
let dir: string;

/** Starts the inference service as its own process (as deployed) and resolves with its gRPC address once healthy. */
async function startInferenceProcess(env: Record<string, string>): Promise<string> {
  const repoRoot = resolve(__dirname, '../../..');
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  inference = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, join(repoRoot, 'apps/inference/src/main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...env,
      TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json'),
      INFERENCE_GRPC_URL: `127.0.0.1:${grpcPort}`,
      INFERENCE_METRICS_PORT: String(metricsPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  inference.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  inference.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  for (let i = 0; ; i++) {
    if (inference.exitCode !== null) throw new Error(`inference exited with ${inference.exitCode}:\n${output}`);
    if (await fetch(`http://127.0.0.1:${metricsPort}/healthz`).then((r) => r.ok, () => false)) break;
    if (i > 600) throw new Error(`inference did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return `127.0.0.1:${grpcPort}`;
}

beforeAll(async () => {
  db = await createTestDatabase();
  keys = new TestApiKeys(db.url);
  sim = await startSimulatorProcess(['--model', 'slow=echo', '--ttft-ms', '700', '--tpot-ms', '1']);
  dir = mkdtempSync(join(tmpdir(), 'lemur-openai-retry-after-'));
  const modelsFile = join(dir, 'models.json');
  writeFileSync(modelsFile, JSON.stringify({ models: [{ name: 'slow', endpoints: [sim.url] }] }));
  const grpcAddr = await startInferenceProcess({
    LEMUR_MODELS_FILE: modelsFile,
    LOG_LEVEL: 'silent',
    // 600 tokens a minute (10 a second) and no queueing: a request over the rate is refused at once.
    INFERENCE_TEAM_LIMITS: JSON.stringify({ metered: { tokensPerMinute: 600, maxQueued: 0 } }),
  });
  gateway = await startGateway(
    loadGatewayConfig({ DATABASE_URL: db.url, GATEWAY_PORT: '0', INFERENCE_ADDR: grpcAddr, EVAL_ADDR: `127.0.0.1:${await freePort()}`, LOG_LEVEL: 'silent' }),
  );
}, 90_000);

afterAll(async () => {
  await gateway?.close();
  if (inference && inference.exitCode === null) {
    const exited = new Promise((r) => inference.once('exit', r));
    inference.kill('SIGTERM');
    await exited;
  }
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  await keys?.close();
  await db?.drop();
});

describe('Retry-After on the OpenAI-compatible route', () => {
  it("answers a team over its token rate 429 with Retry-After = its bucket's refill time, in OpenAI shape", async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await keys.key('metered')}` };
    const completion = (prompt: string, maxTokens: number) =>
      fetch(`${gateway.url}/v1/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'slow', prompt, max_tokens: maxTokens, temperature: 0.5 }) });
    // Charged 1 (prompt) + 590 (max tokens) while it runs (~700 ms): 9 of the 600 tokens are left.
    const running = completion('x', 590);
    await new Promise((r) => setTimeout(r, 150));
    const refused = await completion('y', 295);
    expect(refused.status).toBe(429);
    // 296 tokens asked; 9 in the bucket plus 10 a second since (well under the 0.7 s the first runs): 28.0 to 28.7 s to
    // refill, rounded up.
    expect(refused.headers.get('retry-after')).toBe('29');
    expect(((await refused.json()) as { error: { code: string } }).error).toMatchObject({ code: 'rate_limit_exceeded' });
    expect((await running).status).toBe(200);
  });
});
