import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { createLogger } from '@lemur/shared-logging';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorType, withSpan } from './spans';
import { startTracing, tracingConfigFrom, tracingEnvShape } from './tracing';

const parse = (env: Record<string, string>) => tracingConfigFrom(z.object(tracingEnvShape).parse(env));

describe('tracing configuration', () => {
  it('is off without an OTLP endpoint (nothing to send spans to, and context tracking is not free)', () => {
    expect(parse({})).toEqual({ enabled: false, sampleRatio: 1 });
  });

  it('exports to <endpoint>/v1/traces when OTEL_EXPORTER_OTLP_ENDPOINT is set, or to the traces endpoint as given', () => {
    expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/' })).toEqual({ enabled: true, sampleRatio: 1, otlpTracesUrl: 'http://otel:4318/v1/traces' });
    expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c/x' }).otlpTracesUrl).toBe('https://c/x');
  });

  it('is off with OTEL_SDK_DISABLED=true and samples new traces by OTEL_TRACES_SAMPLER_ARG', () => {
    expect(parse({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }).enabled).toBe(false);
    expect(parse({ OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }).sampleRatio).toBe(0.25);
  });

  it('rejects an endpoint that is not an http(s) URL, and a ratio outside 0..1, naming the variable', () => {
    const bad = z.object(tracingEnvShape).safeParse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://otel:4317', OTEL_TRACES_SAMPLER_ARG: '2' });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER_ARG']));
    expect(bad.error?.issues.find((i) => i.path[0] === 'OTEL_EXPORTER_OTLP_ENDPOINT')?.message).toMatch(/OTLP\/HTTP/);
  });

  it('makes nothing when disabled', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'x', config: { enabled: false, sampleRatio: 1 }, exporter });
    await withSpan('nothing', {}, async () => undefined);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await tracing.shutdown();
  });
});

describe('log correlation', () => {
  it('puts trace_id and span_id on every line logged inside a span, and none outside', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'svc', config: { enabled: true, sampleRatio: 1 }, exporter });
    const out = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)));
    const logger = createLogger('svc', 'info', out);
    logger.info('before');
    let ids: { traceId: string; spanId: string } | undefined;
    await withSpan('work', { attributes: { 'run.id': 'run-1' } }, async (span) => {
      ids = span.spanContext();
      await new Promise((r) => setTimeout(r, 1));
      logger.child({ context: 'Worker' }).info({ runId: 'run-1' }, 'inside');
    });
    logger.info('after');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.msg)).toEqual(['before', 'inside', 'after']);
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({ trace_id: ids?.traceId, span_id: ids?.spanId, runId: 'run-1', context: 'Worker' });
    expect(lines[2]).not.toHaveProperty('trace_id');
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['work']);
    await tracing.shutdown();
  });

  it('records a failure by its code, never its message', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'svc', config: { enabled: true, sampleRatio: 1 }, exporter });
    const err = Object.assign(new Error('prompt was: print(open("/etc/shadow").read())'), { code: 'SANDBOX_UNAVAILABLE' });
    await expect(withSpan('fails', {}, async () => Promise.reject(err))).rejects.toBe(err);
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toEqual({ code: 2, message: 'SANDBOX_UNAVAILABLE' });
    expect(span?.attributes['error.type']).toBe('SANDBOX_UNAVAILABLE');
    expect(JSON.stringify({ a: span?.attributes, e: span?.events })).not.toContain('shadow');
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    await tracing.shutdown();
  });
});

describe('tracing problems are logged, not lost', () => {
  it('logs that tracing is on and where to, and an export that cannot reach the collector', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const out = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)));
    const config = parse({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://user:pw@127.0.0.1:${port}` });
    const tracing = startTracing({ serviceName: 'svc', config, logger: createLogger('svc', 'info', out) });
    await withSpan('lost', {}, async () => undefined);
    await tracing.shutdown();
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ msg: 'tracing on', exportTo: `http://127.0.0.1:${port}/v1/traces` });
    expect(JSON.stringify(lines)).not.toContain('pw@');
    // The failed export is logged (and shutdown still resolves).
    expect(lines.some((l) => String(l.msg).startsWith('tracing: ') && JSON.stringify(l).includes('ECONNREFUSED'))).toBe(true);
  }, 30_000);
});
