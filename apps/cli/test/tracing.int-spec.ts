import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, type RunJson } from '../src/api/gateway-client';
import type { LocalPlatform } from '../src/local/local-platform';
import { waitFinal } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

/** One span as the OTLP/HTTP JSON exporter sends it, with the service that made it. */
interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status?: { code?: number };
}

// OTLP's SpanKind numbering (the JSON encoding's enum values).
const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, CONSUMER: 5 } as const;

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[]; status?: { code?: number } }[];
    }[];
  }[];
}

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.doubleValue;
const attributesOf = (list: OtlpAttribute[] | undefined) => Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

/** The smallest honest OTLP/HTTP collector: accepts JSON exports on /v1/traces and keeps every span. */
async function startCollector(): Promise<{ url: string; spans: CollectedSpan[]; requests: { contentType: string }[]; close(): Promise<void> }> {
  const spans: CollectedSpan[] = [];
  const requests: { contentType: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      requests.push({ contentType: String(req.headers['content-type']) });
      const payload = JSON.parse(body.toString('utf8')) as OtlpExport;
      for (const rs of payload.resourceSpans ?? []) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name']);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              attributes: attributesOf(s.attributes),
              ...(s.status ? { status: s.status } : {}),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, spans, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('one trace from the gateway through eval and inference to the sandbox (real services, OTLP/HTTP export)', () => {
  let t: TestPlatform;
  let home: string;
  let platform: LocalPlatform;
  let collector: Awaited<ReturnType<typeof startCollector>>;

  beforeAll(async () => {
    collector = await startCollector();
    t = await startTestPlatform({ name: 'tracing', simFast: true, env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
    ({ home, platform } = t);
  }, 240_000);

  afterAll(async () => {
    await t?.stop();
    await collector?.close();
  }, 60_000);

  it('links gateway → eval → sample → inference → model and sandbox spans, parent to child, and the gateway log carries the trace id', async () => {
    // The caller's own trace: the gateway must continue it, not start another.
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await fetch(`${platform.gatewayUrl}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.apiKey}`, traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify({ model: 'sim:oracle', benchmark: 'humaneval', limit: 2 }),
    });
    expect(response.status).toBe(201);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const { run: created } = (await response.json()) as { run: RunJson };
    const client = new GatewayClient(platform.gatewayUrl, platform.apiKey);
    const run = await waitFinal(client, created.id);
    expect(run.status).toBe('succeeded');
    expect(run.summary?.counts).toMatchObject({ total: 2, scored: 2, errored: 0 });

    // Spans leave each process in batches (every 5 s): wait until both samples' sandbox spans have arrived.
    const inTrace = () => collector.spans.filter((s) => s.traceId === traceId);
    const deadline = Date.now() + 60_000;
    while (inTrace().filter((s) => s.service === 'sandbox' && s.kind === KIND.SERVER).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const spans = inTrace();
    expect(collector.requests.every((r) => r.contentType.startsWith('application/json'))).toBe(true);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: CollectedSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);
    const one = (pred: (s: CollectedSpan) => boolean, what: string) => {
      const found = spans.filter(pred);
      expect(found, `${what} in ${JSON.stringify(spans.map((s) => `${s.service} ${s.name}`))}`).toHaveLength(1);
      return found[0]!;
    };

    // Gateway: the HTTP span continues the caller's span and calls eval's CreateRun.
    const http = one((s) => s.service === 'gateway' && s.kind === KIND.SERVER, 'the gateway request span');
    expect(http.name).toBe('POST /v1/runs');
    expect(http.parentSpanId).toBe(callerSpanId);
    expect(http.attributes).toMatchObject({ 'http.route': '/v1/runs', 'http.response.status_code': 201, 'lemur.request_id': requestId, 'run.id': run.id });
    const createClient = one((s) => s.service === 'gateway' && s.name === 'lemur.eval.v1.EvalService/CreateRun', 'the gateway → eval call');
    expect(createClient.kind).toBe(KIND.CLIENT);
    expect(createClient.parentSpanId).toBe(http.spanId);
    const createServer = one((s) => s.service === 'eval' && s.kind === KIND.SERVER && s.name === 'lemur.eval.v1.EvalService/CreateRun', 'eval CreateRun');
    expect(createServer.parentSpanId).toBe(createClient.spanId);
    expect(createServer.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.grpc.status_code': 0 });

    // Eval worker (another process, reached through the queue): one span per sample, child of CreateRun.
    const samples = spans.filter((s) => s.name === 'eval.sample');
    expect(samples).toHaveLength(2);
    expect(new Set(samples.map((s) => s.attributes['sample.id'])).size).toBe(2);
    for (const sample of samples) {
      expect(sample.service).toBe('eval');
      expect(sample.kind).toBe(KIND.CONSUMER);
      expect(sample.parentSpanId).toBe(createServer.spanId);
      expect(sample.attributes).toMatchObject({ 'run.id': run.id, benchmark: 'humaneval', model: 'sim:oracle', 'sample.status': 'SCORED' });
      const children = spans.filter((s) => s.parentSpanId === sample.spanId);

      // eval → inference → the model server (the simulator) over HTTP.
      const generate = children.find((s) => s.name === 'lemur.inference.v1.InferenceService/Generate');
      expect(generate?.kind).toBe(KIND.CLIENT);
      const generateServer = spans.find((s) => s.service === 'inference' && s.kind === KIND.SERVER && s.parentSpanId === generate?.spanId);
      expect(generateServer?.name).toBe('lemur.inference.v1.InferenceService/Generate');
      const upstream = spans.find((s) => s.service === 'inference' && s.kind === KIND.CLIENT && s.parentSpanId === generateServer?.spanId);
      expect(upstream?.name).toBe('POST /v1/completions');
      expect(upstream?.attributes).toMatchObject({ 'http.response.status_code': 200, 'gen_ai.request.model': expect.any(String) });

      // eval → sandbox, where the tests run.
      const execute = children.find((s) => s.service === 'eval' && s.kind === KIND.CLIENT && s.name.startsWith('lemur.sandbox.v1.SandboxService/'));
      expect(execute).toBeDefined();
      const executeServer = spans.find((s) => s.service === 'sandbox' && s.kind === KIND.SERVER && s.parentSpanId === execute?.spanId);
      expect(executeServer?.name).toBe(execute?.name);
      expect(parentOf(executeServer!)).toBe(execute);
    }

    // Every span of the trace hangs off the caller's span: no orphan, no second root.
    for (const s of spans) {
      let at: CollectedSpan | undefined = s;
      let hops = 0;
      while (at && at.parentSpanId !== callerSpanId && hops++ < 20) at = parentOf(at);
      expect(at?.parentSpanId, `${s.service} ${s.name} reaches the caller`).toBe(callerSpanId);
    }

    // Span attributes never hold prompts, code or keys.
    const { samples: stored } = (await (
      await fetch(`${platform.gatewayUrl}/v1/runs/${run.id}/samples`, { headers: { authorization: `Bearer ${platform.apiKey}` } })
    ).json()) as { samples: { prompt: string; completion: string }[] };
    expect(stored).toHaveLength(2);
    const everything = JSON.stringify(spans.map((s) => s.attributes));
    for (const sample of stored) {
      expect(sample.prompt.length).toBeGreaterThan(20);
      expect(everything).not.toContain(sample.prompt.trim().slice(0, 40));
      expect(everything).not.toContain(sample.completion.trim().slice(0, 40));
    }
    expect(everything).not.toContain(platform.apiKey);

    // Logs: the gateway's line for this request carries the trace id and the request id.
    const gatewayLines = readFileSync(join(home, 'logs', 'gateway.log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(gatewayLines).toContainEqual(expect.objectContaining({ msg: 'tracing on', exportTo: `${collector.url}/v1/traces` }));
    const requestLines = gatewayLines.filter((l) => l.requestId === requestId);
    expect(requestLines).toEqual([expect.objectContaining({ msg: 'request', route: '/v1/runs', status: 201, trace_id: traceId, span_id: http.spanId })]);
    // ... and so does eval's line about the run it created, with the run id as a field.
    const evalLines = readFileSync(join(home, 'logs', 'eval.log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(evalLines.filter((l) => l.runId === run.id)).toContainEqual(expect.objectContaining({ msg: 'run created', trace_id: traceId, span_id: createServer.spanId }));
  }, 300_000);
});
