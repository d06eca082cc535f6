import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config/gateway.config';
import { startGateway, type RunningGateway } from '../src/gateway.app';
import { responseSchemas } from '../src/runs/run-response.schema';
import { FakePlatformServer, INTERNAL_SECRET } from './fake-platform.grpc-server';
import { TestApiKeys } from './test-api-keys';

interface ErrorJson {
  error: { code: string; message: string; field?: string; errorId?: string };
}
interface RunJson {
  id: string;
  team: string;
  model: string;
  status: string;
  config: Record<string, unknown> | null;
  spec: Record<string, unknown> | null;
  summary: {
    metrics: { name: string; value: number; ci: [number, number] }[];
    counts: Record<string, number>;
    promptTokens: number;
    completionTokens: number;
    elapsedSeconds: number;
    completionTokensPerSecond: number;
  } | null;
  createdAt: string | null;
  finishedAt: string | null;
}

const BODY_LIMIT = 64 * 1024;
const MISSING_RUN = '00000000-0000-4000-8000-000000000000';

let fake: FakePlatformServer;
let gateway: RunningGateway;
let db: TestDatabase;
let keys: TestApiKeys;
const logLines: Record<string, unknown>[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

/** A request with a runner key of `team` (default `local`), or with `authorization` as given (null: none). */
async function call(method: string, path: string, opts: { body?: unknown; raw?: string; team?: string; authorization?: string | null } = {}) {
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const authorization = opts.authorization === undefined ? `Bearer ${await keys.key(opts.team ?? 'local')}` : opts.authorization;
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(authorization === null ? {} : { authorization }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  return { status: response.status, text, json: (isJson ? JSON.parse(text) : undefined) as unknown, headers: response.headers };
}

async function createRun(body: Record<string, unknown>, team?: string): Promise<RunJson> {
  const response = await call('POST', '/v1/runs', { body, ...(team ? { team } : {}) });
  expect(response.status, response.text).toBe(201);
  return responseSchemas.RunEnvelope.parse(response.json).run as RunJson;
}

/** The error of an answer, checked against the one error shape the OpenAPI document promises. */
function errorOf(response: { json: unknown }): ErrorJson['error'] {
  return responseSchemas.Error.strict().parse(response.json).error;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  db = await createTestDatabase();
  keys = new TestApiKeys(db.url);
  fake = await FakePlatformServer.start();
  gateway = await startGateway(
    loadGatewayConfig({
      DATABASE_URL: db.url,
      GATEWAY_PORT: '0',
      EVAL_ADDR: fake.address,
      INFERENCE_ADDR: fake.address,
      GATEWAY_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      LOG_LEVEL: 'error',
    }),
    { logDestination: logSink },
  );
});

afterAll(async () => {
  await gateway?.close();
  await fake?.stop();
  await keys?.close();
  await db?.drop();
});

describe('runs over REST', () => {
  it('creates a run (201), passing the team and the full config to the eval service', async () => {
    const response = await call('POST', '/v1/runs', {
      team: 'research',
      body: { model: 'sim:oracle', benchmark: 'gsm8k', limit: 4, samples: 2, concurrency: 8, temperature: 0.7, maxTokens: 256, topP: 0.9, seed: 7, chat: true },
    });
    expect(response.status, response.text).toBe(201);
    const { run } = responseSchemas.RunEnvelope.parse(response.json) as { run: RunJson };
    expect(run).toMatchObject({
      team: 'research',
      model: 'sim:oracle',
      status: 'queued',
      config: { limit: 4, samples: 2, concurrency: 8, temperature: 0.7, maxTokens: 256, topP: 0.9, seed: 7, chat: true },
      spec: { benchmark: 'gsm8k@1.0.0', items: 4 },
    });
    expect(run.summary?.metrics[0]).toEqual({ name: 'accuracy', value: 0.5, ci: [0.1, 0.9], method: 'wilson', n: 2 });
    expect(run.summary).toMatchObject({ counts: { total: 8, scored: 1, errored: 1 }, promptTokens: 120, completionTokens: 2 ** 40 });
    expect(new Date(run.createdAt!).toISOString()).toBe(run.createdAt);
    expect(response.text).not.toContain('$typeName');
    const sent = fake.createRequests.at(-1)!;
    expect(sent.team).toBe('research');
    expect(sent.config).toMatchObject({ limit: 4, samplesPerItem: 2, concurrency: 8, maxTokens: 256, seed: 7n, chat: true });
  });

  it('gets a run with its summary, only for its own team', async () => {
    const created = await createRun({ model: 'sim:oracle', benchmark: 'gsm8k' });
    const response = await call('GET', `/v1/runs/${created.id}`);
    expect(response.status).toBe(200);
    expect((response.json as { run: RunJson }).run).toMatchObject({ id: created.id, team: 'local', status: 'queued' });
    expect((response.json as { run: RunJson }).run.summary?.completionTokensPerSecond).toBe(21.5);
    const other = await call('GET', `/v1/runs/${created.id}`, { team: 'someone-else' });
    expect(other.status).toBe(404);
    expect(errorOf(other).code).toBe('RUN_NOT_FOUND');
  });

  it('lists runs newest first, page by page with a cursor', async () => {
    const team = 'paging';
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.unshift((await createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 1 }, team)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await call('GET', `/v1/runs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { team });
      expect(response.status, response.text).toBe(200);
      const page = responseSchemas.RunPage.parse(response.json) as { runs: RunJson[]; nextCursor: string | null };
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
  });

  it('pages through samples and filters them by status', async () => {
    const run = await createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 3, samples: 2 });
    const all: { id: string; status: string; score: number | null; passed: boolean | null }[] = [];
    let cursor: string | null = null;
    do {
      const response = await call('GET', `/v1/runs/${run.id}/samples?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status, response.text).toBe(200);
      const page = responseSchemas.SamplePage.parse(response.json);
      all.push(...page.samples);
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(6);
    expect(new Set(all.map((s) => s.id)).size).toBe(6);

    const errored = await call('GET', `/v1/runs/${run.id}/samples?status=errored`);
    const samples = (errored.json as { samples: Record<string, unknown>[] }).samples;
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ status: 'errored', score: null, passed: null, error: 'sandbox timed out after 10s' });

    const scored = await call('GET', `/v1/runs/${run.id}/samples?status=scored`);
    expect((scored.json as { samples: Record<string, unknown>[] }).samples[0]).toMatchObject({
      status: 'scored',
      score: 1,
      passed: true,
      detail: { extracted: '42', target: '42' },
    });
    const bad = await call('GET', `/v1/runs/${run.id}/samples?status=weird`);
    expect(bad.status).toBe(400);
    expect(errorOf(bad)).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'status' });
  });

  it('sends the listings the eval service writes as JSON text as they came, the same pages as from messages', async () => {
    const team = 'listing-json';
    for (let i = 0; i < 3; i++) await createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 2, samples: 2 }, team);
    const paths = async () => {
      const first = await call('GET', '/v1/runs?limit=2', { team });
      const { runs, nextCursor } = first.json as { runs: RunJson[]; nextCursor: string };
      return ['/v1/runs?limit=2', `/v1/runs?limit=2&cursor=${encodeURIComponent(nextCursor)}`, `/v1/runs/${runs[0]!.id}/samples?limit=3`, `/v1/runs/${runs[0]!.id}/samples?status=errored`];
    };
    const read = async () => Promise.all((await paths()).map((path) => call('GET', path, { team })));
    const fromMessages = await read();
    try {
      fake.listing = 'json';
      const fromJson = await read();
      fake.listing = 'jsonArray';
      const fromJsonArray = await read();
      for (const [i, response] of fromJson.entries()) {
        expect(response.status, response.text).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(response.json).toStrictEqual(fromMessages[i]!.json);
        // The page in bytes gives the same response, byte for byte.
        expect(fromJsonArray[i]!.status).toBe(200);
        expect(fromJsonArray[i]!.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(fromJsonArray[i]!.text).toBe(response.text);
      }
      expect(responseSchemas.RunPage.parse(fromJson[0]!.json).nextCursor).toEqual(expect.any(String));
      expect(responseSchemas.RunPage.parse(fromJson[1]!.json)).toMatchObject({ runs: [expect.anything()], nextCursor: null });
      expect(responseSchemas.SamplePage.parse(fromJson[2]!.json).samples).toHaveLength(3);
      expect(responseSchemas.SamplePage.parse(fromJson[3]!.json).samples).toMatchObject([{ status: 'errored', score: null }]);
    } finally {
      fake.listing = 'messages';
    }
  });

  it('cancels a running run, and answers 409 for a finished one', async () => {
    const run = await createRun({ model: 'sim:oracle', benchmark: 'gsm8k' });
    const cancelled = await call('POST', `/v1/runs/${run.id}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(200);
    responseSchemas.RunEnvelope.parse(cancelled.json);
    expect((cancelled.json as { run: RunJson }).run).toMatchObject({ id: run.id, status: 'cancelled' });
    expect((cancelled.json as { run: RunJson }).run.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    const again = await call('POST', `/v1/runs/${run.id}/cancel`);
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe('RUN_NOT_CANCELLABLE');

    const finished = fake.addFinishedRun('local');
    expect((await call('POST', `/v1/runs/${finished.id as string}/cancel`)).status).toBe(409);
  });

  it('compares two runs of the team, and hides other teams\' runs', async () => {
    const a = await createRun({ model: 'sim:oracle', benchmark: 'gsm8k' }, 'cmp');
    const b = await createRun({ model: 'sim:wrong', benchmark: 'gsm8k' }, 'cmp');
    const response = await call('GET', `/v1/compare?a=${a.id}&b=${b.id}`, { team: 'cmp' });
    expect(response.status, response.text).toBe(200);
    const { comparison } = responseSchemas.ComparisonEnvelope.strict().parse(response.json);
    expect(comparison).toMatchObject({
      a: a.id,
      b: b.id,
      ci: [0.1, 0.4],
      mcnemar: { improved: 11, regressed: 1 },
      improved: { count: 11, items: ['gsm8k/3'] },
      regressed: { count: 1, items: ['gsm8k/0'] },
      onlyInB: 0,
    });
    const other = await call('GET', `/v1/compare?a=${a.id}&b=${b.id}`, { team: 'someone-else' });
    expect(other.status).toBe(404);
    const bad = await call('GET', `/v1/compare?a=${a.id}&b=nope`, { team: 'cmp' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).field).toBe('b');
    expect((await call('GET', `/v1/compare?a=${a.id}`, { team: 'cmp' })).status).toBe(400);
  });

  it('lists benchmarks and models', async () => {
    const benchmarks = await call('GET', '/v1/benchmarks');
    expect(benchmarks.status).toBe(200);
    responseSchemas.BenchmarkList.parse(benchmarks.json);
    expect((benchmarks.json as { benchmarks: { ref: string }[] }).benchmarks.map((b) => b.ref)).toEqual(['gsm8k@1.0.0', 'humaneval@1.0.0']);
    const models = await call('GET', '/v1/models');
    expect(models.status).toBe(200);
    responseSchemas.ModelList.parse(models.json);
    expect((models.json as { models: unknown[] }).models).toEqual([
      { name: 'sim:oracle', kind: 'sim', chat: true, endpoints: 2, readyEndpoints: 1 },
      { name: 'llama-3-8b', kind: 'openai', chat: false, endpoints: 1, readyEndpoints: 1 },
    ]);
  });
});

describe('validation at the boundary', () => {
  const valid = { model: 'sim:oracle', benchmark: 'gsm8k' };

  it.each([
    ['a missing model', { benchmark: 'gsm8k' }, 'model'],
    ['a negative limit', { ...valid, limit: -1 }, 'limit'],
    ['a fractional limit', { ...valid, limit: 2.5 }, 'limit'],
    ['a string where a number belongs', { ...valid, samples: '3' }, 'samples'],
    ['a number where a boolean belongs', { ...valid, chat: 1 }, 'chat'],
    ['too many samples', { ...valid, samples: 201 }, 'samples'],
    ['topP of 0', { ...valid, topP: 0 }, 'topP'],
    ['an unknown field', { ...valid, wat: 1 }, 'wat'],
  ])('rejects %s with 400 naming the field', async (_what, body, field) => {
    const before = fake.createRequests.length;
    const response = await call('POST', '/v1/runs', { body });
    expect(response.status, response.text).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    expect(errorOf(response).message).toContain(field);
    expect(fake.createRequests.length).toBe(before);
  });

  it('rejects a body that is not an object', async () => {
    for (const raw of ['[]', '"x"', 'null']) {
      const response = await call('POST', '/v1/runs', { raw });
      expect(response.status, `${raw}: ${response.text}`).toBe(400);
      expect(errorOf(response).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('treats a POST without a body as an empty object, and rejects bodies that are not JSON', async () => {
    const empty = await call('POST', '/v1/runs');
    expect(empty.status, empty.text).toBe(400);
    expect(errorOf(empty)).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'model' });
    const text = await fetch(`${gateway.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${await keys.key('local')}` },
      body: 'model=x',
    });
    expect(text.status).toBe(415);
    expect(errorOf({ json: await text.json() }).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects malformed JSON with INVALID_JSON', async () => {
    const response = await call('POST', '/v1/runs', { raw: '{"model": "sim:oracle", ' });
    expect(response.status, response.text).toBe(400);
    expect(errorOf(response).code).toBe('INVALID_JSON');
  });

  it('rejects a body over the limit with 413', async () => {
    const response = await call('POST', '/v1/runs', { body: { ...valid, pad: 'x'.repeat(BODY_LIMIT + 1) } });
    expect(response.status, response.text).toBe(413);
    expect(errorOf(response).code).toBe('BODY_TOO_LARGE');
  });

  it('rejects a path id that is not a UUID', async () => {
    for (const [method, path] of [
      ['GET', '/v1/runs/not-a-uuid'],
      ['GET', '/v1/runs/123/samples'],
      ['POST', '/v1/runs/abc/cancel'],
    ] as const) {
      const response = await call(method, path);
      expect(response.status, `${method} ${path}: ${response.text}`).toBe(400);
      expect(errorOf(response)).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'id' });
    }
  });

  it('rejects bad paging parameters', async () => {
    expect(errorOf(await call('GET', '/v1/runs?limit=0')).field).toBe('limit');
    expect(errorOf(await call('GET', '/v1/runs?limit=abc')).field).toBe('limit');
    expect(errorOf(await call('GET', '/v1/runs?bogus=1')).field).toBe('bogus');
  });

  it('ignores a team header: the team is always the key\'s', async () => {
    const created = await createRun({ model: 'sim:oracle', benchmark: 'gsm8k' }, 'header-owner');
    const response = await fetch(`${gateway.url}/v1/runs/${created.id}`, {
      headers: { authorization: `Bearer ${await keys.key('header-intruder')}`, 'x-lemur-team': 'header-owner' },
    });
    expect(response.status).toBe(404);
  });

  it('answers an unknown route with 404 in the same error shape', async () => {
    const response = await call('GET', '/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(errorOf(response).code).toBe('NOT_FOUND');
  });
});

describe('domain errors from gRPC, mapped once', () => {
  it.each([
    ['no-such-model', 404, 'MODEL_NOT_FOUND'],
    ['sim:busy', 503, 'NO_READY_ENDPOINT'],
    ['sim:offline-data', 422, 'DATASET_UNAVAILABLE'],
    ['sim:slow-down', 429, 'RESOURCE_EXHAUSTED'],
  ])('%s -> %i %s', async (model, status, code) => {
    const response = await call('POST', '/v1/runs', { body: { model, benchmark: 'gsm8k' } });
    expect(response.status, response.text).toBe(status);
    expect(errorOf(response).code).toBe(code);
    // Every 429 tells the client when to come back.
    expect(response.headers.get('retry-after')).toBe(status === 429 ? '1' : null);
    expect(errorOf(response).message.length).toBeGreaterThan(0);
  });

  it('keeps the field of an INVALID_ARGUMENT from the service', async () => {
    const response = await call('POST', '/v1/runs', { body: { model: 'sim:bad-field', benchmark: 'gsm8k' } });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'benchmark' });
  });

  it('answers 404 for an unknown run', async () => {
    for (const path of [`/v1/runs/${MISSING_RUN}`, `/v1/runs/${MISSING_RUN}/samples`]) {
      const response = await call('GET', path);
      expect(response.status).toBe(404);
      expect(errorOf(response).code).toBe('RUN_NOT_FOUND');
    }
  });

  it('answers 500 with an errorId and nothing internal', async () => {
    const response = await call('POST', '/v1/runs', { body: { model: 'sim:crash', benchmark: 'gsm8k' } });
    expect(response.status).toBe(500);
    const error = errorOf(response);
    expect(error.code).toBe('INTERNAL');
    expect(error.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.text).not.toContain('hunter2');
    expect(response.text).not.toContain(INTERNAL_SECRET);
    expect(response.text).not.toMatch(/\.ts:|at /);
    const logged = logLines.find((line) => line.errorId === error.errorId);
    expect(logged).toMatchObject({ level: 50, status: 500, err: { message: expect.stringContaining(INTERNAL_SECRET) as unknown } });
  });
});

describe('operations endpoints', () => {
  it('reports healthy when eval and inference answer', async () => {
    const response = await call('GET', '/health');
    expect(response.status, response.text).toBe(200);
    expect(responseSchemas.Health.parse(response.json)).toEqual({ status: 'ok', eval: true, inference: true });
  });

  it('serves an OpenAPI 3.1 document listing every route', async () => {
    const response = await call('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const doc = response.json as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\.1\./);
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'POST /v1/chat/completions',
        'POST /v1/completions',
        'POST /v1/keys',
        'GET /v1/keys',
        'DELETE /v1/keys/{id}',
        'POST /v1/members',
        'GET /v1/members',
        'DELETE /v1/members/{id}',
        'GET /v1/me',
        'GET /v1/audit',
        'GET /v1/quotas',
        'PUT /v1/quotas',
        'POST /v1/runs',
        'GET /v1/runs',
        'GET /v1/runs/{id}',
        'DELETE /v1/runs/{id}',
        'GET /v1/runs/{id}/samples',
        'GET /v1/runs/{id}/samples/{sampleId}',
        'GET /v1/runs/{id}/export',
        'POST /v1/runs/{id}/cancel',
        'POST /v1/runs/{id}/rescore',
        'POST /v1/runs/{id}/retry-errors',
        'POST /v1/suites',
        'GET /v1/suites/{id}',
        'POST /v1/schedules',
        'GET /v1/schedules',
        'DELETE /v1/schedules/{id}',
        'GET /v1/benchmarks',
        'GET /v1/compare',
        'GET /v1/models',
        'GET /health',
        'GET /metrics',
        'GET /openapi.json',
        'GET /',
        'GET /ui',
        'GET /ui/{path}',
      ].sort(),
    );
    const createBody = (doc.paths['/v1/runs']!.post as { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } })
      .requestBody.content['application/json']!.schema;
    expect(createBody).toMatchObject({ type: 'object', required: ['model', 'benchmark'], additionalProperties: false });
  });

  it('counts requests by route pattern, never by raw URL', async () => {
    const sample = (text: string, labels: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`lemur_gateway_http_requests_total{${labels}}`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const labels = 'route="/v1/runs/:id",method="GET",status="404"';
    const before = sample((await call('GET', '/metrics')).text, labels);
    await call('GET', `/v1/runs/${MISSING_RUN}`);
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(sample(metrics.text, labels)).toBe(before + 1);
    expect(metrics.text).not.toContain(MISSING_RUN);
    await call('GET', '/v1/no-such-route/12345');
    const after = (await call('GET', '/metrics')).text;
    expect(after).toContain('route="unmatched",method="GET",status="404"');
    expect(after).not.toContain('no-such-route');
    expect(metrics.text).toContain('lemur_gateway_http_request_duration_seconds_bucket');
  });
});

describe('when a service is down', () => {
  let degraded: RunningGateway;

  beforeAll(async () => {
    degraded = await startGateway(
      loadGatewayConfig({
        DATABASE_URL: db.url,
        GATEWAY_PORT: '0',
        EVAL_ADDR: fake.address,
        INFERENCE_ADDR: `127.0.0.1:${await closedPort()}`,
        LOG_LEVEL: 'silent',
      }),
    );
  });
  afterAll(async () => degraded?.close());

  it('reports unhealthy (503) and answers calls to it with 503', async () => {
    const health = await fetch(`${degraded.url}/health`);
    expect(health.status).toBe(503);
    expect(responseSchemas.Health.parse(await health.json())).toEqual({ status: 'unavailable', eval: true, inference: false });
    const headers = { authorization: `Bearer ${await keys.key('local', 'viewer')}` };
    const models = await fetch(`${degraded.url}/v1/models`, { headers });
    expect(models.status).toBe(503);
    const text = await models.text();
    const error = (JSON.parse(text) as ErrorJson).error;
    expect(error.code).toBe('UPSTREAM_FAILED');
    expect(error.errorId).toBeDefined();
    expect(text).not.toContain('127.0.0.1');
    expect((await fetch(`${degraded.url}/v1/benchmarks`, { headers })).status).toBe(200);
  });
});
