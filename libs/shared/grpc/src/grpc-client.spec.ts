import { create } from '@bufbuild/protobuf';
import { Server, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { inferenceV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { bindLoopback } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, type GrpcClient } from './grpc-client';
import { toGrpcError } from './grpc-status.mapper';
import { grpcServiceDefinition } from './service-definition';

type StreamCall = ServerWritableStream<inferenceV1.GenerateStreamRequest, inferenceV1.GenerateStreamResponse>;

const delta = (i: number) => create(inferenceV1.GenerateStreamResponseSchema, { index: 0, delta: `t${i}` });

/**
 * The server's behaviour per call, chosen by the request's model name: `count:N` streams N messages and ends,
 * `fail:N` streams N messages then fails RESOURCE_EXHAUSTED, `hang` streams one message and never ends.
 */
function serve(call: StreamCall, seen: { cancelled: number }): void {
  call.on('cancelled', () => (seen.cancelled += 1));
  const [kind, n = '0'] = (call.request.request?.model ?? '').split(':');
  if (kind === 'hang') {
    call.write(delta(0));
    return;
  }
  const count = Number(n);
  let i = 0;
  // Writes as fast as flow control lets it, so a slow reader really pushes back.
  const pump = () => {
    while (i < count) {
      if (!call.write(delta(i++))) return void call.once('drain', pump);
    }
    if (kind === 'fail') call.emit('error', { code: status.RESOURCE_EXHAUSTED, details: 'queue full' });
    else call.end();
  };
  pump();
}

describe('createGrpcClient server streams', () => {
  let server: Server;
  let client: GrpcClient<typeof inferenceV1.InferenceService.method>;
  const seen = { cancelled: 0 };

  beforeAll(async () => {
    server = new Server();
    server.addService(grpcServiceDefinition(inferenceV1.InferenceService), {
      GenerateStream: (call: StreamCall) => serve(call, seen),
    });
    client = createGrpcClient(inferenceV1.InferenceService, await bindLoopback(server), { defaultDeadlineMs: 10_000 });
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const stream = (model: string, options: { deadlineMs?: number; signal?: AbortSignal } = {}) =>
    client.generateStream({ request: { model } }, options)[Symbol.asyncIterator]();

  it('delivers every message in order, past the read-ahead window, then ends', async () => {
    const texts: string[] = [];
    for await (const m of client.generateStream({ request: { model: 'count:500' } })) {
      texts.push(m.delta);
      // A slow consumer now and then: the server must wait, not lose or reorder messages.
      if (texts.length % 100 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(texts).toEqual(Array.from({ length: 500 }, (_, i) => `t${i}`));
  });

  it('gives the messages sent before a failure, then throws it as a PlatformError', async () => {
    const messages = stream('fail:3');
    const got: string[] = [];
    const err = await (async () => {
      try {
        for (let r = await messages.next(); !r.done; r = await messages.next()) got.push(r.value.delta);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(got).toEqual(['t0', 't1', 't2']);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
    expect((err as PlatformError).message).toBe('queue full');
  });

  it('cancels the call when the signal aborts, failing the waiting read with CANCELLED', async () => {
    const before = seen.cancelled;
    const abort = new AbortController();
    const messages = stream('hang', { signal: abort.signal });
    expect((await messages.next()).value?.delta).toBe('t0');
    const pending = messages.next();
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: PlatformErrorCode.CANCELLED });
    await expect.poll(() => seen.cancelled).toBe(before + 1);
  });

  it('cancels the call when the consumer stops early', async () => {
    const before = seen.cancelled;
    const messages = stream('hang');
    expect((await messages.next()).value?.delta).toBe('t0');
    expect(await messages.return?.()).toEqual({ value: undefined, done: true });
    expect(await messages.next()).toEqual({ value: undefined, done: true });
    await expect.poll(() => seen.cancelled).toBe(before + 1);
  });

  it('fails a stream that outlives its deadline with DEADLINE_EXCEEDED', async () => {
    const messages = stream('hang', { deadlineMs: 200 });
    expect((await messages.next()).value?.delta).toBe('t0');
    await expect(messages.next()).rejects.toMatchObject({ code: PlatformErrorCode.DEADLINE_EXCEEDED });
  });
});

type UnaryCall = ServerUnaryCall<inferenceV1.GenerateRequest, inferenceV1.GenerateResponse>;

describe('createGrpcClient unary calls', () => {
  let server: Server;
  let client: GrpcClient<typeof inferenceV1.InferenceService.method>;
  const seen = { cancelled: 0, authorization: [] as unknown[] };

  beforeAll(async () => {
    server = new Server();
    server.addService(grpcServiceDefinition(inferenceV1.InferenceService), {
      // By model name: `echo` answers with the team it was sent and the metadata's trace header, `fail` fails with a
      // domain code in the metadata (as toGrpcError sends it), `plain` fails with a bare status, `hang` never answers.
      Generate: (call: UnaryCall, callback: sendUnaryData<inferenceV1.GenerateResponse>) => {
        call.on('cancelled', () => (seen.cancelled += 1));
        seen.authorization.push(call.metadata.get('authorization')[0]);
        const model = call.request.model;
        if (model === 'echo') {
          callback(null, create(inferenceV1.GenerateResponseSchema, { model: `${call.request.team}/${String(call.metadata.get('x-extra')[0] ?? '')}`, latencyMs: 7 }));
        } else if (model === 'fail') {
          callback(toGrpcError(PlatformError.invalid('sampling.n', 'must be at most 64')));
        } else if (model === 'plain') {
          callback({ code: status.RESOURCE_EXHAUSTED, details: 'queue full' });
        }
      },
    });
    client = createGrpcClient(inferenceV1.InferenceService, await bindLoopback(server), { defaultDeadlineMs: 10_000, internalToken: 'a'.repeat(32) });
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it('resolves with the response, sending the internal token and the given metadata', async () => {
    const response = await client.generate({ model: 'echo', team: 'blue' }, { metadata: { 'x-extra': 'yes' } });
    expect(response).toMatchObject({ model: 'blue/yes', latencyMs: 7 });
    expect(seen.authorization.at(-1)).toBe(`Bearer ${'a'.repeat(32)}`);
  });

  it('throws a failure as the PlatformError the server reported, field included', async () => {
    const err = await client.generate({ model: 'fail' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ code: PlatformErrorCode.INVALID_ARGUMENT, field: 'sampling.n', message: 'sampling.n: must be at most 64' });
    await expect(client.generate({ model: 'plain' })).rejects.toMatchObject({ code: PlatformErrorCode.RESOURCE_EXHAUSTED, message: 'queue full' });
  });

  it('fails a call that outlives its deadline with DEADLINE_EXCEEDED', async () => {
    await expect(client.generate({ model: 'hang' }, { deadlineMs: 200 })).rejects.toMatchObject({ code: PlatformErrorCode.DEADLINE_EXCEEDED });
  });

  it('cancels the call when the signal aborts (CANCELLED), and never starts one whose signal already aborted', async () => {
    const before = seen.cancelled;
    const abort = new AbortController();
    const calls = seen.authorization.length;
    const pending = client.generate({ model: 'hang' }, { signal: abort.signal });
    await expect.poll(() => seen.authorization.length).toBe(calls + 1);
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: PlatformErrorCode.CANCELLED });
    await expect.poll(() => seen.cancelled).toBe(before + 1);
    await expect(client.generate({ model: 'echo' }, { signal: abort.signal })).rejects.toBe(abort.signal.reason);
    expect(seen.authorization.length).toBe(calls + 1);
  });
});
