// Session cell round trip: `x = x + 1` through gRPC into a sandboxed persistent Python interpreter, against the same
// cell through a raw pipe to the same runner script run as a plain, unsandboxed `/usr/bin/python3 -I` in this process.
// The two sides alternate in batches so that the load of a shared machine falls on both alike.
// Run: TSX_TSCONFIG_PATH=tsconfig.json node --import tsx bench/session-cell.bench.ts   (needs scripts/setup-sandbox.sh)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sandboxV1 } from '@lemur/proto';
import { CellSentinelScanner, PYTHON_SESSION_RUNNER, encodeCellFrame } from '@lemur/sandbox-policy';
import { createGrpcClient } from '@lemur/shared-grpc';
import { freePort } from '@lemur/shared-testing';
import { loadSandboxConfig } from '../apps/sandbox/src/config/sandbox.config';
import { startSandbox } from '../apps/sandbox/src/sandbox.app';
import { quantile, runStandalone, type BenchResult } from './bench-result';

const BATCHES = 10;
const PER_BATCH = 100;
const TARGET_P50_MS = 5;

/** The baseline: the runner script as a plain child process, cells framed and cut exactly as the service does. */
function plainRunner() {
  const child = spawn('/usr/bin/python3', ['-I', '-c', PYTHON_SESSION_RUNNER], { env: {}, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new CellSentinelScanner(true);
  const err = new CellSentinelScanner(false);
  let pending: { outDone: boolean; errDone: boolean; resolve: () => void } | null = null;
  const settle = () => {
    if (pending?.outDone && pending.errDone) pending.resolve();
  };
  child.stdout.on('data', (c: Buffer) => {
    if (out.push(c).done && pending) pending.outDone = true;
    settle();
  });
  child.stderr.on('data', (c: Buffer) => {
    if (err.push(c).done && pending) pending.errDone = true;
    settle();
  });
  return {
    cell: (code: string) =>
      new Promise<void>((resolve) => {
        const token = `lemur_${randomBytes(16).toString('hex')}`;
        out.begin(token);
        err.begin(token);
        pending = { outDone: false, errDone: false, resolve };
        child.stdin.write(encodeCellFrame('python', token, code));
      }),
    close: () => child.kill('SIGKILL'),
  };
}

/** Times cells both ways and returns sandboxed-gRPC p50 / plain-pipe p50 as the ratio. */
export async function run(): Promise<BenchResult> {
  const port = await freePort();
  const app = await startSandbox(
    loadSandboxConfig({ SANDBOX_GRPC_URL: `127.0.0.1:${port}`, SANDBOX_METRICS_PORT: '0', LOG_LEVEL: 'silent', SANDBOX_SESSION_POOL_SIZE: '1' }),
  );
  const client = createGrpcClient(sandboxV1.SandboxService, app.grpcUrl, { defaultDeadlineMs: 30_000 });
  const plain = plainRunner();
  try {
    // Let the warm pool fill so CreateSession takes a pre-started interpreter.
    await new Promise((r) => setTimeout(r, 1_000));
    await client.getCapabilities({});
    const createStart = performance.now();
    const { sessionId } = await client.createSession({ language: sandboxV1.Language.PYTHON, team: 'bench' });
    const createMs = performance.now() - createStart;
    const cell = (code: string) => client.runCell({ sessionId, team: 'bench', code });
    await cell('x = 0');
    await plain.cell('x = 0');
    for (let i = 0; i < 50; i++) {
      await cell('x = x + 1');
      await plain.cell('x = x + 1');
    }
    const grpcMs: number[] = [];
    const plainMs: number[] = [];
    // An empty RPC shows what the transport alone costs on this machine right now.
    const emptyMs: number[] = [];
    for (let b = 0; b < BATCHES; b++) {
      for (let i = 0; i < PER_BATCH / 4; i++) {
        const t = performance.now();
        await client.getCapabilities({});
        emptyMs.push(performance.now() - t);
      }
      for (let i = 0; i < PER_BATCH; i++) {
        const t = performance.now();
        await cell('x = x + 1');
        grpcMs.push(performance.now() - t);
      }
      for (let i = 0; i < PER_BATCH; i++) {
        const t = performance.now();
        await plain.cell('x = x + 1');
        plainMs.push(performance.now() - t);
      }
    }
    const check = await cell('x');
    const expected = 50 + BATCHES * PER_BATCH;
    await client.closeSession({ sessionId, team: 'bench' });
    grpcMs.sort((a, b) => a - b);
    plainMs.sort((a, b) => a - b);
    emptyMs.sort((a, b) => a - b);
    const p50 = quantile(grpcMs, 0.5);
    const p99 = quantile(grpcMs, 0.99);
    const base50 = quantile(plainMs, 0.5);
    const correct = check.result?.stdout === `${expected}\n`;
    return {
      name: 'session cell round trip through gRPC (x = x + 1)',
      ratio: Number((p50 / base50).toFixed(3)),
      target: `p50 < ${TARGET_P50_MS} ms`,
      ok: p50 < TARGET_P50_MS && correct,
      baseline: `the same cell through a raw pipe to the same runner as a plain /usr/bin/python3 -I, same run (${plainMs.length} cells)`,
      detail:
        `gRPC+sandbox p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms; plain pipe p50 ${base50.toFixed(3)} ms, ` +
        `p99 ${quantile(plainMs, 0.99).toFixed(3)} ms; ${grpcMs.length} cells; final x ${correct ? 'correct' : `WRONG (${check.result?.stdout.trim()})`}; ` +
        `empty RPC (GetCapabilities) p50 ${quantile(emptyMs, 0.5).toFixed(2)} ms; CreateSession from the warm pool ${createMs.toFixed(1)} ms`,
    };
  } finally {
    plain.close();
    client.close();
    await app.close();
  }
}

if (require.main === module) runStandalone(run);
