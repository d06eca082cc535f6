import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { SpanKind, startTracing, withSpan, type Tracing } from '@lemur/shared-tracing';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completeUpstream, streamUpstream, type UpstreamRequest } from './openai-upstream';

const PROMPT = 'def secret_algorithm(x):\n    """the prompt must not reach a span"""\n';

describe('upstream model calls are CLIENT spans that pass the trace on', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let server: Server;
  let baseUrl: string;
  const received: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'inference', config: { enabled: true, sampleRatio: 1 }, exporter });
    server = createServer((req, res) => {
      received.push(req.headers);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as { stream: boolean; prompt: string };
        if (parsed.prompt === 'fail') return res.writeHead(503).end('{"error":{"message":"overloaded"}}');
        if (!parsed.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ choices: [{ text: 'return 42', finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } }));
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (let i = 0; i < 20; i++) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: `t${i}` }] })}\n\n`);
        res.end(`data: ${JSON.stringify({ choices: [{ index: 0, text: '', finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await tracing?.shutdown();
  });

  beforeEach(() => {
    exporter.reset();
    received.length = 0;
  });

  const request = (prompt: string): UpstreamRequest => ({
    baseUrl,
    apiKey: 'sk-test-key',
    signal: new AbortController().signal,
    timeoutMs: 5_000,
    firstByteTimeoutMs: 4_000,
    idleTimeoutMs: 5_000,
    model: 'served-model',
    prompt,
    maxTokens: 16,
    temperature: 0,
    topP: 1,
    stop: [],
    n: 1,
  });

  it('wraps a completion in a CLIENT span under the caller and sends its traceparent to the model server', async () => {
    let parent: { traceId: string; spanId: string } | undefined;
    await withSpan('Generate', { kind: SpanKind.SERVER }, async (span) => {
      parent = span.spanContext();
      expect((await completeUpstream(request(PROMPT))).choices[0]?.text).toBe('return 42');
    });
    const upstream = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT);
    expect(upstream?.name).toBe('POST /v1/completions');
    expect(upstream?.spanContext().traceId).toBe(parent?.traceId);
    expect(upstream?.parentSpanContext?.spanId).toBe(parent?.spanId);
    expect(upstream?.attributes).toMatchObject({ 'http.response.status_code': 200, 'gen_ai.request.model': 'served-model', 'server.address': baseUrl });
    expect(received[0]?.traceparent).toBe(`00-${parent?.traceId}-${upstream?.spanContext().spanId}-01`);
    const text = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.attributes, s.events, s.status]));
    expect(text).not.toContain('secret_algorithm');
    expect(text).not.toContain('sk-test-key');
  });

  it('makes one span for a whole stream, not one per token, ended when the stream is', async () => {
    const deltas: string[] = [];
    await withSpan('GenerateStream', { kind: SpanKind.SERVER }, async () => {
      for await (const chunk of streamUpstream(request(PROMPT))) deltas.push(chunk.delta);
    });
    expect(deltas.join('')).toBe(Array.from({ length: 20 }, (_, i) => `t${i}`).join(''));
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT].sort());
    const upstream = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(upstream?.attributes).toMatchObject({ 'lemur.upstream.stream': true, 'http.response.status_code': 200 });
    expect(received[0]?.traceparent).toContain(upstream?.spanContext().spanId);
  });

  it('records a failed call by its status and error type, not the body', async () => {
    await expect(completeUpstream(request('fail'))).rejects.toMatchObject({ name: 'UpstreamError', status: 503 });
    const [upstream] = exporter.getFinishedSpans();
    expect(upstream?.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': 'UpstreamError' });
    expect(upstream?.status).toEqual({ code: 2, message: 'UpstreamError' });
    expect(JSON.stringify(upstream?.attributes)).not.toContain('overloaded');
  });
});
