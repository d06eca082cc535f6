import {
  Metadata,
  Server,
  credentials,
  makeGenericClientConstructor,
  status,
  type Client,
  type ServiceDefinition,
  type ServiceError,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { bindLoopback } from '@lemur/shared-testing';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { grpcClientTracing, grpcServerTracing } from './grpc-tracing';
import { traceparentOf, withSpan } from './spans';
import { startTracing, type Tracing } from './tracing';

interface Echo {
  text: string;
}
const json = {
  serialize: (value: Echo) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as Echo,
};
const definition: ServiceDefinition = {
  Say: {
    path: '/test.v1.EchoService/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
  Repeat: {
    path: '/test.v1.EchoService/Repeat',
    requestStream: false,
    responseStream: true,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

type EchoClient = Client & {
  Say(req: Echo, md: Metadata, cb: (err: ServiceError | null, res?: Echo) => void): void;
  Repeat(req: Echo, md: Metadata): NodeJS.ReadableStream;
};

const SECRET_PROMPT = 'def leak(): return "sk-live-123 top secret prompt"';

describe('trace propagation across gRPC (grpc-js interceptors)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let server: Server;
  let client: EchoClient;
  // What the handler saw: its active trace/span and the traceparent the caller sent.
  const seen: { traceId?: string; spanId?: string; traceparent?: string }[] = [];

  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'test', config: { enabled: true, sampleRatio: 1 }, exporter });
    server = new Server({ interceptors: [grpcServerTracing] });
    const record = (md: Metadata) => {
      const ids = trace.getActiveSpan()?.spanContext();
      seen.push({ traceId: ids?.traceId, spanId: ids?.spanId, traceparent: md.get('traceparent')[0]?.toString() });
    };
    server.addService(definition, {
      Say: (call: ServerUnaryCall<Echo, Echo>, callback: sendUnaryData<Echo>) => {
        record(call.metadata);
        // Work the handler awaits still runs in its span.
        void Promise.resolve().then(() => {
          record(call.metadata);
          if (call.request.text === 'fail') callback({ code: status.NOT_FOUND, details: 'no such thing' });
          else callback(null, { text: call.request.text.length.toString() });
        });
      },
      Repeat: (call: ServerWritableStream<Echo, Echo>) => {
        record(call.metadata);
        for (let i = 0; i < 3; i++) call.write({ text: String(i) });
        call.end();
      },
    });
    const address = await bindLoopback(server);
    const Ctor = makeGenericClientConstructor(definition, 'EchoService');
    client = new Ctor(address, credentials.createInsecure(), { interceptors: [grpcClientTracing] }) as unknown as EchoClient;
  });

  afterAll(async () => {
    client?.close();
    await new Promise<void>((resolve) => server?.tryShutdown(() => resolve()));
    await tracing?.shutdown();
  });

  beforeEach(() => {
    exporter.reset();
    seen.length = 0;
  });

  const say = (text: string, md = new Metadata()) =>
    new Promise<Echo>((resolve, reject) => client.Say({ text }, md, (err, res) => (err ? reject(err) : resolve(res!))));

  const byKind = (kind: SpanKind) => exporter.getFinishedSpans().filter((s) => s.kind === kind);

  it('makes the server span a child of the client span, itself a child of the caller, in one trace', async () => {
    let outer: { traceId: string; spanId: string } | undefined;
    await withSpan('caller', {}, async (span) => {
      outer = span.spanContext();
      await say('hello');
    });
    const [clientSpan] = byKind(SpanKind.CLIENT);
    const [serverSpan] = byKind(SpanKind.SERVER);
    expect(clientSpan?.name).toBe('test.v1.EchoService/Say');
    expect(clientSpan?.spanContext().traceId).toBe(outer?.traceId);
    expect(clientSpan?.parentSpanContext?.spanId).toBe(outer?.spanId);
    expect(serverSpan?.spanContext().traceId).toBe(outer?.traceId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(serverSpan?.parentSpanContext?.isRemote).toBe(true);
    expect(serverSpan?.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'test.v1.EchoService', 'rpc.method': 'Say', 'rpc.grpc.status_code': 0 });
    // The handler, before and after an await, runs with the server span active, and got the client span's traceparent.
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s).toMatchObject({ traceId: outer?.traceId, spanId: serverSpan?.spanContext().spanId });
      expect(s.traceparent).toBe(`00-${outer?.traceId}-${clientSpan?.spanContext().spanId}-01`);
    }
  });

  const plainClient = () =>
    new (makeGenericClientConstructor(definition, 'EchoService'))(client.getChannel().getTarget().replace(/^ipv4:/, ''), credentials.createInsecure()) as unknown as EchoClient;
  const plainSay = (c: EchoClient, md: Metadata) =>
    new Promise<void>((resolve, reject) => c.Say({ text: 'x' }, md, (err) => (err ? reject(err) : resolve())));

  it('makes the server span a child of a traceparent sent by a caller that is not this library', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const md = new Metadata();
    md.set('traceparent', `00-${traceId}-b7ad6b7169203331-01`);
    const plain = plainClient();
    await plainSay(plain, md);
    plain.close();
    const [serverSpan] = byKind(SpanKind.SERVER);
    expect(serverSpan?.spanContext().traceId).toBe(traceId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(seen[0]?.traceId).toBe(traceId);
  });

  it('starts a new trace on the server for a caller that sends no traceparent', async () => {
    const plain = plainClient();
    await plainSay(plain, new Metadata());
    plain.close();
    const [serverSpan] = byKind(SpanKind.SERVER);
    expect(byKind(SpanKind.CLIENT)).toHaveLength(0);
    expect(serverSpan?.parentSpanContext).toBeUndefined();
    expect(seen[0]?.traceId).toBe(serverSpan?.spanContext().traceId);
  });

  it('records a failed call by its status on both sides', async () => {
    await expect(say('fail')).rejects.toMatchObject({ code: status.NOT_FOUND });
    for (const span of [...byKind(SpanKind.CLIENT), ...byKind(SpanKind.SERVER)]) {
      expect(span.attributes['rpc.grpc.status_code']).toBe(status.NOT_FOUND);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'NOT_FOUND' });
    }
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('traces a whole server stream as one span per side (no span per message)', async () => {
    let traceId: string | undefined;
    const received: string[] = [];
    await withSpan('caller', {}, async (span) => {
      traceId = span.spanContext().traceId;
      const stream = client.Repeat({ text: 'go' }, new Metadata());
      for await (const message of stream as AsyncIterable<Echo>) received.push(message.text);
    });
    expect(received).toEqual(['0', '1', '2']);
    await new Promise((r) => setTimeout(r, 20));
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'test.v1.EchoService/Repeat');
    expect(spans.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT].sort());
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(seen[0]?.traceId).toBe(traceId);
  });

  it('never puts the request payload in a span (prompts, code and keys stay out of traces)', async () => {
    await withSpan('caller', { attributes: { 'run.id': 'r1' } }, () => say(SECRET_PROMPT));
    const spans: ReadableSpan[] = exporter.getFinishedSpans();
    expect(spans.length).toBe(3);
    const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    expect(text).not.toContain('sk-live-123');
    expect(text).not.toContain('def leak');
  });

  it('carries a trace over a queue as a traceparent string', async () => {
    let carried: string | undefined;
    let traceId: string | undefined;
    await withSpan('enqueue', {}, async (span) => {
      traceId = span.spanContext().traceId;
      carried = traceparentOf();
    });
    expect(carried).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });
});
