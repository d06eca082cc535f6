// `lemur rescore` and `lemur runs retry` end to end through the real local platform (simulator, inference, sandbox,
// eval API and worker, gateway) and the real CLI binary: re-scoring an oracle run gives the same scores with no model
// call and no inference request at all (simulator and inference counters), code is run in the sandbox again; a run
// whose model endpoint failed for some items retries just those once the endpoint is back, leaving scored samples as
// they were.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import type { LocalPlatform } from '../src/local/local-platform';
import { waitFinal } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

const execFileAsync = promisify(execFile);
const repoRoot = resolve(__dirname, '../../..');
const GSM8K = resolve(repoRoot, '../shared/datasets/gsm8k/test.jsonl');
/** Items of the flaky run whose requests fail while its endpoint is "down". */
const FAILING_ITEMS = [1, 3];

/** The sum of a Prometheus counter over all its label sets. */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The flaky model's endpoint: a loopback proxy in front of the real simulator that, while `down`, answers 503 to every
 * request about one of the failing questions (a replica that dies on some requests), and counts requests per question.
 */
class FlakyEndpoint {
  down = true;
  target = '';
  readonly hits = new Map<string, number>();
  private server!: Server;
  url = '';

  constructor(private readonly questions: string[]) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const text = body.toString('utf8');
        const question = this.questions.find((q) => text.includes(JSON.stringify(q).slice(1, -1)));
        if (question !== undefined && req.method === 'POST') this.hits.set(question, (this.hits.get(question) ?? 0) + 1);
        if (this.down && question !== undefined && FAILING_ITEMS.some((i) => this.questions[i] === question)) {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"replica unavailable"}}');
          return;
        }
        const upstream = await fetch(`${this.target}${req.url}`, {
          method: req.method ?? 'GET',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
        });
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      })().catch(() => res.writeHead(502).end());
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}

describe('re-scoring and retrying errors through the CLI against the real local platform', () => {
  let t: TestPlatform;
  let modelsDir: string | undefined;
  let platform: LocalPlatform;
  let client: GatewayClient;
  let sql: pg.Client;
  let flaky: FlakyEndpoint;
  const questions = readFileSync(GSM8K, 'utf8')
    .split('\n')
    .slice(0, 6)
    .map((l) => (JSON.parse(l) as { question: string }).question);

  const lemur = async (args: string[]): Promise<Record<string, unknown>> => {
    const out = await t.cli(args, { LEMUR_API_KEY: undefined });
    if (out.code !== 0) throw new Error(`lemur ${args.join(' ')} exited ${out.code}: ${out.stderr}`);
    return JSON.parse(out.stdout) as Record<string, unknown>;
  };
  const simRequests = () => counter(`${platform.simUrl}/metrics`, 'vllm:request_success_total');
  const inferenceCounter = (name: string) => counter(`http://${platform.metricsTargets.get('inference')}/metrics`, name);

  beforeAll(async () => {
    flaky = new FlakyEndpoint(questions);
    await flaky.start();
    modelsDir = mkdtempSync(join(tmpdir(), 'lemur-rescore-models-'));
    const modelsFile = join(modelsDir, 'models.json');
    writeFileSync(modelsFile, JSON.stringify({ models: [{ name: 'flaky-oracle', endpoints: [flaky.url], servedModelName: 'sim-oracle', kind: 'sim' }] }));
    t = await startTestPlatform({
      name: 'rescore',
      simFast: true,
      modelsFile,
      // One failing item must not take the replica out for the others: only the failing items fail.
      env: { INFERENCE_EJECT_AFTER_FAILURES: '1000', EVAL_SAMPLE_MAX_ATTEMPTS: '2' },
    });
    ({ platform, client, sql } = t);
    flaky.target = platform.simUrl;
    // Starting five services and Postgres takes minutes on a loaded 2-core machine.
  }, 420_000);

  afterAll(async () => {
    await t?.stop();
    await flaky?.stop();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  }, 60_000);

  it('re-scores oracle runs to the same scores with zero model calls, running the code again in the sandbox', async () => {
    const sources = await Promise.all([
      client.createRun({ model: 'sim:oracle', benchmark: 'humaneval', limit: 5 }),
      client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 8 }),
    ]);
    const finished = await Promise.all(sources.map((r) => waitFinal(client, r.id)));
    for (const run of finished) expect(run.status).toBe('succeeded');
    const before = { sim: await simRequests(), inference: await inferenceCounter('lemur_inference_requests_total'), hits: await inferenceCounter('lemur_inference_cache_hits_total') };
    expect(before.sim).toBeGreaterThanOrEqual(13);

    for (const source of finished) {
      const out = await lemur(['rescore', source.id, '--json']);
      expect(out).toMatchObject({ status: 'succeeded', sourceRunId: source.id, scored: source.summary!.counts.scored, errors: 0 });
      expect(out.rescore).toMatchObject({ sourceRunId: source.id, sourceBenchmarkRef: `${source.benchmark}@${source.benchmarkVersion}`, scorerRef: `${source.benchmark}@${source.benchmarkVersion}` });
      const metricName = source.benchmark === 'humaneval' ? 'pass@1' : 'accuracy';
      expect((out.metrics as Record<string, { value: number }>)[metricName]!.value).toBe(1);
      const rescored = (await client.getRun(out.runId as string)) as RunJson;
      expect(rescored.sourceRunId).toBe(source.id);
      expect(rescored.summary).toMatchObject({ promptTokens: 0, completionTokens: 0 });
      const comparison = await client.compare(source.id, rescored.id);
      expect(comparison).toMatchObject({ sharedItems: source.summary!.counts.scored, delta: 0, improved: { count: 0 }, regressed: { count: 0 }, comparable: true });
    }
    // Not one request reached the inference service, so neither the simulator nor the response cache was asked.
    expect(await simRequests()).toBe(before.sim);
    expect(await inferenceCounter('lemur_inference_requests_total')).toBe(before.inference);
    expect(await inferenceCounter('lemur_inference_cache_hits_total')).toBe(before.hits);

    // HumanEval's tests ran again in the sandbox for the re-scoring run: each sample carries a fresh execution.
    const { rows } = await sql.query<{ passed: boolean; exit_code: string | null; source_sample: string }>(
      `SELECT s.passed, s.score_detail->'execution'->>'exitCode' AS exit_code, s.score_detail->'rescoredFrom'->>'sampleId' AS source_sample
         FROM sample s JOIN run r ON r.id = s.run_id WHERE r.source_run_id = $1 ORDER BY s.item_index`,
      [finished[0]!.id],
    );
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(row).toMatchObject({ passed: true, exit_code: '0', source_sample: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  }, 240_000);

  it('retries just the errored samples of a run whose endpoint failed for some items, once it is back', async () => {
    flaky.down = true;
    const created = await client.createRun({ model: 'flaky-oracle', benchmark: 'gsm8k', limit: 6 });
    const failed = await waitFinal(client, created.id);
    // Errors are shown apart and never count as wrong answers: accuracy is over the 4 scored samples.
    expect(failed.status).toBe('succeeded');
    expect(failed.summary?.counts).toMatchObject({ total: 6, scored: 4, errored: 2, pending: 0 });
    expect(failed.summary?.metrics.find((m) => m.name === 'accuracy')).toMatchObject({ value: 1, n: 4 });
    const errored = await sql.query<{ item_index: number; error: string }>(`SELECT item_index, error FROM sample WHERE run_id = $1 AND status = 'ERRORED' ORDER BY item_index`, [created.id]);
    expect(errored.rows.map((r) => r.item_index)).toEqual(FAILING_ITEMS);
    for (const row of errored.rows) expect(row.error).toMatch(/UPSTREAM_FAILED|NO_READY_ENDPOINT/);

    const scoredBefore = await sql.query(`SELECT id, attempts, started_at, finished_at, completion, score FROM sample WHERE run_id = $1 AND status = 'SCORED' ORDER BY item_index`, [created.id]);
    const hitsBefore = new Map(flaky.hits);
    const cacheHitsBefore = await inferenceCounter('lemur_inference_cache_hits_total');

    flaky.down = false;
    const out = await lemur(['runs', 'retry', created.id, '--json']);
    expect(out).toMatchObject({ runId: created.id, status: 'succeeded', retried: 2, samples: 6, scored: 6, errors: 0 });
    expect((out.metrics as Record<string, { value: number; n: number }>).accuracy).toMatchObject({ value: 1, n: 6 });

    // The scored samples were not run again: same rows, no request for their questions, no cache lookups answered.
    const scoredAfter = await sql.query(`SELECT id, attempts, started_at, finished_at, completion, score FROM sample WHERE run_id = $1 AND id = ANY($2) ORDER BY item_index`, [
      created.id,
      scoredBefore.rows.map((r: { id: string }) => r.id),
    ]);
    expect(scoredAfter.rows).toEqual(scoredBefore.rows);
    for (const [i, question] of questions.entries()) {
      const extra = (flaky.hits.get(question) ?? 0) - (hitsBefore.get(question) ?? 0);
      expect(extra, `requests for item ${i}`).toBe(FAILING_ITEMS.includes(i) ? 1 : 0);
    }
    expect(await inferenceCounter('lemur_inference_cache_hits_total')).toBe(cacheHitsBefore);
    const retried = await sql.query<{ status: string; attempts: number; error: string | null }>(`SELECT status, attempts, error FROM sample WHERE run_id = $1 AND item_index = ANY($2)`, [created.id, FAILING_ITEMS]);
    for (const row of retried.rows) expect(row).toMatchObject({ status: 'SCORED', attempts: 1, error: null });

    const audit = await sql.query<{ action: string; detail: unknown }>(`SELECT action, detail FROM audit_log WHERE target = $1 ORDER BY created_at`, [created.id]);
    expect(audit.rows.map((r) => [r.action, r.detail])).toEqual([
      ['run.start', expect.anything()],
      ['run.retry-errors', { retried: 2 }],
    ]);
    // A second retry has nothing to do and says so.
    await expect(client.retryErrors(created.id)).rejects.toThrow(/has no errored samples to retry/);
  }, 240_000);

  it('documents both commands in --help with examples', async () => {
    const help = async (args: string[]) => (await execFileAsync(join(repoRoot, 'bin/lemur'), [...args, '--help'], { cwd: repoRoot })).stdout;
    const [rescore, retry] = await Promise.all([help(['rescore']), help(['runs', 'retry'])]);
    expect(rescore).toMatch(/no\s+model\s+calls[\s\S]*--json[\s\S]*Examples:\n\s+\$ lemur rescore/);
    expect(retry).toMatch(/errored\s+samples[\s\S]*--json[\s\S]*Examples:\n\s+\$ lemur runs retry/);
  }, 180_000);
});
