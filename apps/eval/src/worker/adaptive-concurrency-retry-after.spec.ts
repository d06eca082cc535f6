import { Server, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { inferenceV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createGrpcClient, grpcServiceDefinition, toGrpcError } from '@lemur/shared-grpc';
import { bindLoopback } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryAfterMsOf, retryDelayMs } from './adaptive-concurrency-signals';

type UnaryCall = ServerUnaryCall<inferenceV1.GenerateRequest, inferenceV1.GenerateResponse>;

// The refusals inference sends (apps/inference/test/retry-after.int-spec.ts): a PlatformError with retryAfterSeconds,
// reported through the shared gRPC mapping. The worker must read them as its own client rebuilds them.
const REFUSALS: Record<string, PlatformError> = {
  'over-token-rate': new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'team "t" is over its token rate', { retryAfterSeconds: 28.3 }),
  'replicas-refused': new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, 'every replica answered 429', { retryAfterSeconds: 3 }),
  'no-hint': new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'queue full'),
};

describe("the eval worker's retry-after reader against what inference sends", () => {
  let server: Server;
  let client: ReturnType<typeof createGrpcClient<typeof inferenceV1.InferenceService.method>>;

  beforeAll(async () => {
    server = new Server();
    server.addService(grpcServiceDefinition(inferenceV1.InferenceService), {
      Generate: (call: UnaryCall, callback: sendUnaryData<inferenceV1.GenerateResponse>) => callback(toGrpcError(REFUSALS[call.request.model]!)),
    });
    client = createGrpcClient(inferenceV1.InferenceService, await bindLoopback(server), { defaultDeadlineMs: 10_000 });
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const refusal = (model: string) => client.generate({ model }).catch((err: unknown) => err);

  it('reads the whole seconds inference sends, rounded up, as milliseconds', async () => {
    expect(retryAfterMsOf(await refusal('over-token-rate'))).toBe(29_000);
    expect(retryAfterMsOf(await refusal('replicas-refused'))).toBe(3_000);
  });

  it('waits at least that long before the next attempt, and finds nothing when inference sent no hint', async () => {
    expect(retryDelayMs(1, retryAfterMsOf(await refusal('over-token-rate')), () => 0)).toBe(29_000);
    expect(retryAfterMsOf(await refusal('no-hint'))).toBeUndefined();
  });
});
