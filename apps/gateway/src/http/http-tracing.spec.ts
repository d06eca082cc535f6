import { PassThrough } from 'node:stream';
import { createLogger } from '@lemur/shared-logging';
import { SpanKind, startTracing, traceparentOf, type Tracing } from '@lemur/shared-tracing';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { genRequestId, HOT_PATH, traceHttp } from './http-tracing';

describe('HTTP request tracing (gateway)', () => {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  let tracing: Tracing;
  let app: FastifyInstance;
  // What the handler saw as its trace: the traceparent it would send on.
  let seenInHandler: string | undefined;

  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'gateway', config: { enabled: true, sampleRatio: 1 }, exporter });
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)));
    app = fastify({ logger: false, genReqId: genRequestId });
    traceHttp(app, createLogger('gateway', 'info', out));
    app.post('/v1/runs', async (request) => {
      await new Promise((r) => setTimeout(r, 1));
      seenInHandler = traceparentOf();
      return { ok: true, n: (request.body as { n: number }).n };
    });
    app.get('/v1/runs', async () => ({ runs: [] }));
    app.get('/v1/boom', async () => {
      throw new Error('boom');
    });
    app.get('/health', async () => ({ status: 'ok' }));
    // A model request: a POST that changes nothing, often slower than a slow read.
    app.post('/v1/completions', { config: HOT_PATH }, async (request, reply) => {
      const { fail, ms } = request.body as { fail: boolean; ms: number };
      await new Promise((r) => setTimeout(r, ms));
      return fail ? reply.code(429).send({ error: 'queue full' }) : { ok: true };
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await tracing?.shutdown();
  });

  beforeEach(() => {
    exporter.reset();
    lines.length = 0;
    seenInHandler = undefined;
  });

  it('continues the caller trace, runs the handler (after the body is read) in the span, and logs the request with its ids', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'content-type': 'application/json' },
      payload: { n: 3 },
    });
    expect(response.statusCode).toBe(200);
    const [span] = exporter.getFinishedSpans();
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.name).toBe('POST /v1/runs');
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span?.attributes).toMatchObject({ 'http.route': '/v1/runs', 'http.response.status_code': 200 });
    expect(seenInHandler).toBe(`00-${traceId}-${span?.spanContext().spanId}-01`);
    const requestId = response.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(span?.attributes['lemur.request_id']).toBe(requestId);
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'request', requestId, status: 200, route: '/v1/runs', trace_id: traceId, span_id: span?.spanContext().spanId }),
    ]);
  });

  it('starts a new trace without a traceparent and marks a 5xx as an error', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/boom' });
    expect(response.statusCode).toBe(500);
    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.status.code).toBe(2);
    expect(span?.attributes['http.response.status_code']).toBe(500);
  });

  it('logs failed reads at info and successful ones only at debug', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/runs' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/boom' })).statusCode).toBe(500);
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.msg === 'request')).toEqual([expect.objectContaining({ level: 30, route: '/v1/boom', status: 500 })]);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('logs successful hot-path requests only at debug however long they take, and their failures at info', async () => {
    const send = (fail: boolean, ms: number) => app.inject({ method: 'POST', url: '/v1/completions', payload: { fail, ms } });
    expect((await send(false, 1_100)).statusCode).toBe(200);
    expect((await send(true, 0)).statusCode).toBe(429);
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.msg === 'request')).toEqual([expect.objectContaining({ level: 30, route: '/v1/completions', status: 429 })]);
    // A success of an ordinary write is still logged at info.
    expect((await app.inject({ method: 'POST', url: '/v1/runs', payload: { n: 1 } })).statusCode).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.msg === 'request').map((l) => l.route)).toEqual(['/v1/completions', '/v1/runs']);
  });

  it('leaves probes untraced and unlogged', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(0);
  });
});

describe('HTTP request logging with tracing off', () => {
  it('still sends the request id and logs the request, with no trace ids', async () => {
    const lines: Record<string, unknown>[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)));
    const app = fastify({ logger: false, genReqId: genRequestId });
    traceHttp(app, createLogger('gateway', 'info', out));
    app.post('/v1/runs', async () => ({ ok: true }));
    app.get('/health', async () => ({ status: 'ok' }));
    try {
      const response = await app.inject({ method: 'POST', url: '/v1/runs', payload: {} });
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      expect(response.statusCode).toBe(200);
      const requestId = response.headers['x-request-id'];
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      await new Promise((r) => setImmediate(r));
      expect(lines).toEqual([expect.objectContaining({ msg: 'request', requestId, status: 200, route: '/v1/runs' })]);
      expect(lines[0]).not.toHaveProperty('trace_id');
    } finally {
      await app.close();
    }
  });
});
