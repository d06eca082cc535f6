// The OpenAI-compatible API through the real chain: gateway (HTTP) -> inference (gRPC) -> vllm-sim processes.
// The official `openai` npm client is not installed in this repository, so requests are made with fetch and the
// server-sent events parsed by hand, exactly as the wire protocol defines them.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type ClientRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTestDatabase, freePort, startSimulatorProcess, type SimulatorProcess, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../src/auth/api-key';
import { loadGatewayConfig } from '../src/config/gateway.config';
import { startGateway, type RunningGateway } from '../src/gateway.app';
import { TestApiKeys } from './test-api-keys';

interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function metricValue(text: string, name: string, labels: string[]): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

let fast: SimulatorProcess;
let slow: SimulatorProcess;
let inference: { child: ChildProcess; grpcAddr: string; metricsUrl: string; output: () => string };
let gateway: RunningGateway;
let dir: string;
let db: TestDatabase;
let keys: TestApiKeys;
/** Authorization of a runner key of team `local`, sent unless a test passes its own. */
let auth: Record<string, string>;
// The echo model answers with the prompt: a long prompt makes a long (at 40 ms a token, slow) answer.
const LONG_PROMPT = 'word '.repeat(400);
/** The API key of the `guarded` model's endpoint, which the inference service sends it as `Authorization: Bearer`. */
const UPSTREAM_KEY = `sk-test-${randomBytes(16).toString('hex')}`;
/** The `guarded` model's endpoint: records the Authorization header of each completion request and answers 503 (overloaded). */
let guarded: { server: Server; url: string; authorizations: (string | undefined)[] };

async function startGuardedEndpoint(): Promise<typeof guarded> {
  const authorizations: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    // The engine-metrics scraper's GET /metrics comes here too.
    if (req.method === 'POST') authorizations.push(req.headers.authorization);
    req.resume();
    req.on('end', () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"replica overloaded"}}'));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authorizations };
}

/** A replica in front of a simulator: forwards every call to it and keeps the JSON body of each POST it passed on. */
interface RecordingProxy {
  server: Server;
  url: string;
  bodies: Record<string, unknown>[];
}

async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') bodies.push(JSON.parse(body.toString('utf8')) as Record<string, unknown>);
      const upstream = request(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

/** `recorded`: one replica, the fast simulator behind a recording proxy. */
let recorded: RecordingProxy;
/** `sticky` (session affinity): two replicas, each a recording proxy in front of the same fast simulator. */
let stickyReplicas: RecordingProxy[];

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body: JSON.stringify(body) });
}

/**
 * Opens a streamed completion with node:http and resolves at its first bytes; `destroy` drops the connection as a
 * client that goes away does. (An aborted fetch here left undici holding a connection the server had to time out.)
 */
function openStream(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; req: ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers } }, (res) => {
      res.once('data', () => resolve({ status: res.statusCode ?? 0, req }));
    });
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Reads a server-sent-events body into its `data:` payloads (the last is `[DONE]` on success). */
async function sseData(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

/** Starts the inference service as its own process (as deployed) and waits for its health endpoint. */
async function startInferenceProcess(env: Record<string, string>): Promise<typeof inference> {
  const repoRoot = resolve(__dirname, '../../..');
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, join(repoRoot, 'apps/inference/src/main.ts')], {
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
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`inference exited with ${child.exitCode}:\n${output}`);
    if (await fetch(`${metricsUrl}/healthz`).then((r) => r.ok, () => false)) break;
    if (i > 600) throw new Error(`inference did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, grpcAddr: `127.0.0.1:${grpcPort}`, metricsUrl, output: () => output };
}

beforeAll(async () => {
  db = await createTestDatabase();
  keys = new TestApiKeys(db.url);
  auth = { authorization: `Bearer ${await keys.key('local')}` };
  [fast, slow] = await Promise.all([
    startSimulatorProcess(['--model', 'echo=echo', '--fast']),
    startSimulatorProcess(['--model', 'slow=echo', '--ttft-ms', '5', '--tpot-ms', '40']),
  ]);
  guarded = await startGuardedEndpoint();
  [recorded, stickyReplicas] = await Promise.all([startRecordingProxy(fast.url), Promise.all([0, 1].map(() => startRecordingProxy(fast.url)))]);
  dir = mkdtempSync(join(tmpdir(), 'lemur-openai-'));
  const modelsFile = join(dir, 'models.json');
  writeFileSync(
    modelsFile,
    JSON.stringify({
      models: [
        { name: 'echo', endpoints: [fast.url], chat: true },
        { name: 'slow', endpoints: [slow.url] },
        // A replica that answers 503 and one that is not there (connection refused): both failures are logged.
        { name: 'guarded', endpoints: [guarded.url, `http://127.0.0.1:${await freePort()}`], apiKeyEnv: 'LEMUR_TEST_UPSTREAM_KEY' },
        { name: 'recorded', servedModelName: 'echo', endpoints: [recorded.url], chat: true },
        { name: 'sticky', servedModelName: 'echo', endpoints: stickyReplicas.map((r) => r.url), chat: true, routingPolicy: 'session-affinity' },
      ],
    }),
  );
  inference = await startInferenceProcess({
    LEMUR_MODELS_FILE: modelsFile,
    LEMUR_TEST_UPSTREAM_KEY: UPSTREAM_KEY,
    // Three attempts: the two `guarded` replicas fail one after the other (each logged), the third ends the request.
    INFERENCE_MAX_ATTEMPTS: '3',
    INFERENCE_TEAM_LIMITS: JSON.stringify({ tiny: { maxConcurrent: 1, maxQueued: 0 } }),
    // Every line the service can write, so the test below can look for secrets in all of it.
    LOG_LEVEL: 'trace',
  });
  gateway = await startGateway(
    loadGatewayConfig({
      DATABASE_URL: db.url,
      GATEWAY_PORT: '0',
      INFERENCE_ADDR: inference.grpcAddr,
      EVAL_ADDR: `127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'silent',
    }),
  );
}, 90_000);

afterAll(async () => {
  await gateway?.close();
  if (inference && inference.child.exitCode === null) {
    const exited = new Promise((r) => inference.child.once('exit', r));
    inference.child.kill('SIGTERM');
    await exited;
  }
  await Promise.all([
    fast?.close(),
    slow?.close(),
    guarded && new Promise((ok) => guarded.server.close(ok)),
    ...[recorded, ...(stickyReplicas ?? [])].filter(Boolean).map((proxy) => new Promise((ok) => proxy.server.close(ok))),
  ]);
  rmSync(dir, { recursive: true, force: true });
  await keys?.close();
  await db?.drop();
});

describe('OpenAI-compatible API through gateway -> inference -> vllm-sim', () => {
  it('GET /v1/models lists the models in OpenAI shape (and keeps the Lemur shape)', async () => {
    const response = await fetch(`${gateway.url}/v1/models`, { headers: auth });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { object: string; data: { id: string; object: string }[]; models: { name: string }[] };
    expect(json.object).toBe('list');
    expect(json.data.map((m) => m.id).sort()).toEqual(['echo', 'guarded', 'recorded', 'slow', 'sticky']);
    expect(json.data.every((m) => m.object === 'model')).toBe(true);
    expect(json.models.map((m) => m.name).sort()).toEqual(['echo', 'guarded', 'recorded', 'slow', 'sticky']);
  });

  it('POST /v1/chat/completions answers a chat completion with usage', async () => {
    const response = await post('/v1/chat/completions', {
      model: 'echo',
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 8,
      temperature: 0,
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as {
      id: string;
      object: string;
      model: string;
      choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    expect(json).toMatchObject({ object: 'chat.completion', model: 'echo' });
    expect(json.id).toMatch(/^chatcmpl-/);
    expect(json.choices[0]!.message.role).toBe('assistant');
    expect(json.choices[0]!.message.content.length).toBeGreaterThan(0);
    expect(json.choices[0]!.finish_reason).toMatch(/stop|length/);
    expect(json.usage.completion_tokens).toBeGreaterThan(0);
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
  });

  it('POST /v1/completions with stream: true sends SSE chunks, a usage chunk and data: [DONE], matching the unary answer', async () => {
    // The paced model: token by token, so the stream really arrives in pieces.
    const body = { model: 'slow', prompt: 'one two three four five', max_tokens: 6, temperature: 0 };
    const unary = (await (await post('/v1/completions', body)).json()) as { choices: { text: string }[]; usage: { completion_tokens: number } };
    const response = await post('/v1/completions', { ...body, stream: true, stream_options: { include_usage: true } }, { 'cache-control': 'no-cache' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = await sseData(response);
    expect(data.at(-1)).toBe('[DONE]');
    const events = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { text: string }[]; usage?: { completion_tokens: number } });
    expect(events.every((e) => e.object === 'text_completion')).toBe(true);
    expect(events.length).toBeGreaterThan(2);
    const text = events.flatMap((e) => e.choices.map((c) => c.text)).join('');
    expect(text).toBe(unary.choices[0]!.text);
    expect(events.at(-1)!.choices).toEqual([]);
    expect(events.at(-1)!.usage!.completion_tokens).toBe(unary.usage.completion_tokens);
  });

  it('streams chat chunks with the assistant role first and a finish reason last', async () => {
    const response = await post('/v1/chat/completions', { model: 'echo', messages: [{ role: 'user', content: 'a b c d' }], max_tokens: 4, stream: true });
    const data = await sseData(response);
    expect(data.at(-1)).toBe('[DONE]');
    const events = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { delta: { role?: string }; finish_reason: string | null }[] });
    expect(events[0]!.object).toBe('chat.completion.chunk');
    expect(events[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(events.at(-1)!.choices[0]!.finish_reason).toMatch(/stop|length/);
  });

  it.each([
    { stream: false, path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'x' }] } },
    { stream: true, path: '/v1/completions', body: { prompt: 'x' } },
  ])('unknown model -> 404 with an OpenAI error body (stream: $stream)', async ({ stream, path, body }) => {
    const response = await post(path, { ...body, model: 'no-such-model', stream });
    expect(response.status).toBe(404);
    const json = (await response.json()) as OpenAiError;
    expect(json.error).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    expect(json.error.message).toMatch(/no-such-model/);
  });

  it('POST /v1/completions with logprobs answers each token\'s log-probability and alternatives in OpenAI\'s shape', async () => {
    const response = await post('/v1/completions', { model: 'echo', prompt: 'Q\n\nalpha beta', max_tokens: 2, temperature: 0, logprobs: 3 });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { choices: { text: string; logprobs: { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[]; text_offset: number[] } }[] };
    const { text, logprobs } = json.choices[0]!;
    expect(logprobs.tokens.join('')).toBe(text);
    expect(logprobs.text_offset).toEqual([0, logprobs.tokens[0]!.length]);
    expect(logprobs.top_logprobs.map((t) => Object.keys(t).length)).toEqual([3, 3]);
    expect(logprobs.top_logprobs[0]![logprobs.tokens[0]!]).toBe(logprobs.token_logprobs[0]);
    const plain = (await (await post('/v1/completions', { model: 'echo', prompt: 'x', max_tokens: 1 })).json()) as { choices: { logprobs: unknown }[] };
    expect(plain.choices[0]!.logprobs).toBeNull();
  });

  it.each([
    { body: { model: 'echo', prompt: 'x', temperature: 3 }, param: 'temperature' },
    { body: { model: 'echo', prompt: 'x', best_of: 2 }, param: 'best_of' },
    { body: { model: 'echo' }, param: 'prompt' },
    { body: { model: 'echo', prompt: 'x', logprobs: -1 }, param: 'logprobs' },
    { body: { model: 'echo', prompt: 'x', logprobs: 2, stream: true }, param: 'logprobs' },
  ])('invalid request -> 400 naming $param', async ({ body, param }) => {
    const response = await post('/v1/completions', body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as OpenAiError).error).toMatchObject({ type: 'invalid_request_error', param });
  });

  it("sends the key's team at interactive priority, and answers 429 in OpenAI shape when its queue is full", async () => {
    const tiny = { authorization: `Bearer ${await keys.key('tiny')}` };
    const running = await openStream('/v1/completions', { model: 'slow', prompt: LONG_PROMPT, max_tokens: 100, stream: true }, tiny);
    expect(running.status).toBe(200);
    const rejected = await post('/v1/completions', { model: 'slow', prompt: 'more', max_tokens: 2 }, tiny);
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toBe('1');
    expect(((await rejected.json()) as OpenAiError).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    running.req.destroy();
    const metrics = await (await fetch(inference.metricsUrl + '/metrics')).text();
    expect(metricValue(metrics, 'lemur_inference_queue_time_seconds_count', ['team="tiny"', 'priority="interactive"'])).toBe(1);
  });

  it('needs a runner key: none is 401, a viewer key 403, both before any inference', async () => {
    const body = { model: 'echo', prompt: 'x', max_tokens: 2 };
    for (const path of ['/v1/completions', '/v1/chat/completions']) {
      const none = await post(path, body, { authorization: '' });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/missing API key/);
      const viewer = await post(path, body, { authorization: `Bearer ${await keys.key('local', 'viewer')}` });
      expect(viewer.status).toBe(403);
    }
  });

  it('a client that disconnects mid-stream aborts the upstream request', async () => {
    // Earlier tests' cancelled streams must have settled on the simulator first.
    for (let i = 0; i < 100 && metricValue(await slow.metrics(), 'vllm:num_requests_running', ['model_name="slow"']) > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = metricValue(await slow.metrics(), 'vllm:request_success_total', ['finished_reason="abort"']);
    const stream = await openStream('/v1/completions', { model: 'slow', prompt: LONG_PROMPT, max_tokens: 300, stream: true });
    expect(stream.status).toBe(200);
    stream.req.destroy();
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = metricValue(await slow.metrics(), 'vllm:request_success_total', ['finished_reason="abort"']);
    }
    expect(after).toBe(before + 1);
    expect(metricValue(await slow.metrics(), 'vllm:num_requests_running', ['model_name="slow"'])).toBe(0);
  });
});

describe('OpenAI sampling fields and end users through gateway -> inference -> vllm-sim', () => {
  const PENALTIES = { presence_penalty: 0.5, frequency_penalty: -1.25, logit_bias: { '50256': -100, '11': 7.5 } };

  it.each([
    { path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'penalised chat' }] }, stream: false },
    { path: '/v1/completions', body: { prompt: 'penalised completion' }, stream: true },
  ])('passes presence_penalty, frequency_penalty and logit_bias to the model server, which accepts them ($path, stream: $stream)', async ({ path, body, stream }) => {
    const response = await post(path, { model: 'recorded', max_tokens: 4, temperature: 0, stream, ...body, ...PENALTIES });
    expect(response.status).toBe(200);
    await response.text();
    expect(recorded.bodies.at(-1)).toMatchObject({ model: 'echo', ...PENALTIES });
  });

  it('sends no penalties or biases for a request without them (the wire is as before)', async () => {
    const response = await post('/v1/chat/completions', { model: 'recorded', messages: [{ role: 'user', content: 'plain' }], max_tokens: 2 });
    expect(response.status).toBe(200);
    const sent = recorded.bodies.at(-1)!;
    expect(['presence_penalty', 'frequency_penalty', 'logit_bias', 'user'].filter((field) => field in sent)).toEqual([]);
  });

  it.each([
    { extra: { presence_penalty: 2.5 }, param: 'presence_penalty' },
    { extra: { frequency_penalty: -3 }, param: 'frequency_penalty' },
    { extra: { logit_bias: { '50256': 101 } }, param: 'logit_bias.50256' },
  ])('answers an out-of-range $param with an OpenAI 400 naming it, before any model call', async ({ extra, param }) => {
    const before = recorded.bodies.length;
    const response = await post('/v1/chat/completions', { model: 'recorded', messages: [{ role: 'user', content: 'x' }], ...extra });
    expect(response.status).toBe(400);
    expect(((await response.json()) as OpenAiError).error).toMatchObject({ type: 'invalid_request_error', param });
    expect(recorded.bodies.length).toBe(before);
  });

  it('keeps every request of one `user` on one replica under session affinity, and spreads different users', async () => {
    // An odd number of users: without affinity, idle replicas take turns, so each user would change replica every round.
    const users = Array.from({ length: 11 }, (_, i) => `user-${i}`);
    const homes = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (const user of users) {
        const counts = stickyReplicas.map((r) => r.bodies.length);
        const response = await post('/v1/chat/completions', { model: 'sticky', messages: [{ role: 'user', content: `turn ${round}` }], max_tokens: 2, user });
        expect(response.status).toBe(200);
        await response.text();
        const served = stickyReplicas.findIndex((r, i) => r.bodies.length > counts[i]!);
        homes.set(user, (homes.get(user) ?? new Set()).add(stickyReplicas[served]!.url));
      }
    }
    expect(users.map((user) => homes.get(user)!.size)).toEqual(users.map(() => 1));
    // 11 users all hashed to the same one of two replicas would happen once in 1,024 runs.
    expect(new Set([...homes.values()].flatMap((home) => [...home])).size).toBe(2);
  });
});

describe('logging on the inference path', () => {
  it('logs a successful completion at debug only (failures at info and error, as before) and never a key, at any level', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logged = await startGateway(
      loadGatewayConfig({ DATABASE_URL: db.url, GATEWAY_PORT: '0', INFERENCE_ADDR: inference.grpcAddr, EVAL_ADDR: `127.0.0.1:${await freePort()}`, LOG_LEVEL: 'trace' }),
      { logDestination: sink },
    );
    const key = await keys.create('local', 'runner', { name: 'logging test' });
    const send = async (path: string, body: unknown) => {
      const response = await fetch(`${logged.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
      await response.text();
      return response.status;
    };
    try {
      const chat = { model: 'echo', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 };
      const text = { model: 'echo', prompt: 'hello', max_tokens: 4 };
      expect(await send('/v1/completions', text)).toBe(200);
      expect(await send('/v1/completions', { ...text, stream: true })).toBe(200);
      expect(await send('/v1/chat/completions', chat)).toBe(200);
      expect(await send('/v1/chat/completions', { ...chat, stream: true })).toBe(200);
      expect(await send('/v1/completions', { ...text, temperature: 3 })).toBe(400);
      // The endpoint is sent the key (it is on the wire) and fails every time, as does the other: a 503 for the client.
      expect(await send('/v1/completions', { ...text, model: 'guarded' })).toBe(503);
      expect(guarded.authorizations.length).toBeGreaterThan(0);
      expect(guarded.authorizations.every((a) => a === `Bearer ${UPSTREAM_KEY}`)).toBe(true);
      await new Promise((r) => setTimeout(r, 50));

      const access = lines.filter((l) => l.msg === 'request').map((l) => [l.level, l.route, l.status]);
      expect(access).toEqual([
        [20, '/v1/completions', 200],
        [20, '/v1/completions', 200],
        [20, '/v1/chat/completions', 200],
        [20, '/v1/chat/completions', 200],
        [30, '/v1/completions', 400],
        [30, '/v1/completions', 503],
      ]);
      // Per request, only the failure reaches info: its error (with an errorId) and its access line.
      const loud = lines.filter((l) => ((l.level as number) >= 30 && typeof l.requestId === 'string') || l.msg === 'request failed');
      expect(loud.map((l) => [l.level, l.msg, l.status])).toEqual([
        [30, 'request', 400],
        [50, 'request failed', 503],
        [30, 'request', 503],
      ]);
    } finally {
      await logged.close();
    }
    // The inference service logged the failed attempts at warn (so its log is being read here), and nothing per request at info.
    const inferenceLines = inference
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const retries = inferenceLines.filter((l) => l.msg === 'upstream attempt failed, retrying on another replica');
    expect(retries.map((l) => (l.err as { message: string }).message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/answered 503: replica overloaded/), expect.stringMatching(/^cannot reach http:\/\/127\.0\.0\.1:\d+/)]),
    );
    const all = [JSON.stringify(lines), inference.output()].join('\n');
    // The key's secret part as the gateway parses it: a base64url secret may itself hold '_', so no split on the last one.
    for (const secret of [key, parseApiKey(key)!.secret, auth.authorization!.slice('Bearer '.length), UPSTREAM_KEY]) {
      expect(all.includes(secret), `a secret (${secret.slice(0, 8)}...) is in the logs`).toBe(false);
    }
    expect(all).not.toMatch(/bearer\s/i);
  });
});
