import { Metadata, Server, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { inferenceV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { bindLoopback } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, type GrpcClient } from './grpc-client';
import { fromGrpcError, toGrpcError } from './grpc-status.mapper';
import { grpcServiceDefinition } from './service-definition';

function peerError(code: status, trailers: Record<string, string>): ServiceError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error('refused'), { code, details: 'refused', metadata });
}

describe('retry hint in the gRPC status mapping', () => {
  it('toGrpcError writes retryAfterSeconds as the `retry-after` trailer, whole seconds', () => {
    const error = new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'over the token rate', { retryAfterSeconds: 29.2 });
    const sent = toGrpcError(error);
    expect(sent.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(sent.metadata?.get('retry-after')).toEqual(['30']);
  });

  it('toGrpcError sends no `retry-after` when the error has no hint', () => {
    const sent = toGrpcError(new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'queue full'));
    expect(sent.metadata?.get('retry-after')).toEqual([]);
  });

  it('fromGrpcError reads `retry-after` back into the PlatformError and keeps the ServiceError as its cause', () => {
    const received = peerError(status.UNAVAILABLE, { 'retry-after': '7' });
    const error = fromGrpcError(received);
    expect(error).toMatchObject({ code: PlatformErrorCode.UPSTREAM_FAILED, retryAfterSeconds: 7 });
    expect(error.cause).toBe(received);
  });

  it('fromGrpcError rounds a fractional hint up and caps a huge one at five minutes', () => {
    expect(fromGrpcError(peerError(status.RESOURCE_EXHAUSTED, { 'retry-after': '0.2' })).retryAfterSeconds).toBe(1);
    expect(fromGrpcError(peerError(status.RESOURCE_EXHAUSTED, { 'retry-after': '86400' })).retryAfterSeconds).toBe(300);
  });

  it.each(['', 'soon', '-3', 'Wed, 21 Oct 2026 07:28:00 GMT'])('fromGrpcError ignores a `retry-after` of %j', (value) => {
    expect(fromGrpcError(peerError(status.RESOURCE_EXHAUSTED, { 'retry-after': value })).retryAfterSeconds).toBeUndefined();
  });
});

type UnaryCall = ServerUnaryCall<inferenceV1.GenerateRequest, inferenceV1.GenerateResponse>;
type StreamCall = ServerWritableStream<inferenceV1.GenerateStreamRequest, inferenceV1.GenerateStreamResponse>;

describe('retry hint over a real gRPC call', () => {
  let server: Server;
  let client: GrpcClient<typeof inferenceV1.InferenceService.method>;
  const refusal = () => toGrpcError(new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'team "t" is over its token rate', { retryAfterSeconds: 12 }));

  beforeAll(async () => {
    server = new Server();
    server.addService(grpcServiceDefinition(inferenceV1.InferenceService), {
      Generate: (_call: UnaryCall, callback: sendUnaryData<inferenceV1.GenerateResponse>) => callback(refusal()),
      // As the inference service's raw stream handler reports a failure.
      GenerateStream: (call: StreamCall) => call.emit('error', refusal()),
    });
    client = createGrpcClient(inferenceV1.InferenceService, await bindLoopback(server), { defaultDeadlineMs: 10_000 });
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it('a unary refusal arrives as RESOURCE_EXHAUSTED with its retryAfterSeconds', async () => {
    await expect(client.generate({ model: 'm' })).rejects.toMatchObject({ code: PlatformErrorCode.RESOURCE_EXHAUSTED, retryAfterSeconds: 12 });
  });

  it('a stream refusal arrives with its retryAfterSeconds', async () => {
    const consume = async () => {
      for await (const _ of client.generateStream({ request: { model: 'm' } })) void _;
    };
    await expect(consume()).rejects.toMatchObject({ code: PlatformErrorCode.RESOURCE_EXHAUSTED, retryAfterSeconds: 12 });
  });
});
