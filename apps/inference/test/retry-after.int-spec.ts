// A refused request is told when to come back: the `retry-after` trailer inference sets on RESOURCE_EXHAUSTED (its
// fair queue) and on UNAVAILABLE (every replica refused for load with a Retry-After), over real gRPC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { inferenceV1 } from '@lemur/proto';
import { PlatformErrorCode, type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { startSimulatorProcess, freePort, type SimulatorProcess } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInferenceConfig } from '../src/config/inference.config';
import { startInference } from '../src/inference.app';

type Client = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('expected the call to fail');
}

async function streamFailure(stream: AsyncIterable<unknown>): Promise<PlatformError> {
  return failure(
    (async () => {
      for await (const _ of stream) void _;
    })(),
  );
}

/**
 * The raw `retry-after` trailer of the gRPC error a PlatformError was rebuilt from: what the eval worker's backoff reads
 * (apps/eval/src/worker/adaptive-concurrency-retry-after.spec.ts checks its reader against this form).
 */
function trailer(err: PlatformError): unknown[] {
  return ((err.cause as { metadata?: Metadata } | undefined)?.metadata ?? new Metadata()).get('retry-after');
}

/** A replica that refuses every completion with 429 and the given Retry-After (and has no /metrics). */
async function refusingReplica(retryAfter: string): Promise<{ server: Server; url: string; posts: () => number }> {
  let posts = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(404).end();
      posts += 1;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter }).end('{"error":{"message":"engine queue full"}}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts: () => posts };
}

describe('retry-after over real gRPC', () => {
  let sim: SimulatorProcess;
  let replicas: Awaited<ReturnType<typeof refusingReplica>>[];
  let app: RunningGrpcApp;
  let client: Client;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulatorProcess(['--model', 'slow=echo', '--ttft-ms', '700', '--tpot-ms', '1']);
    replicas = await Promise.all([refusingReplica('7'), refusingReplica('3')]);
    dir = mkdtempSync(join(tmpdir(), 'lemur-retry-after-'));
    const modelsFile = join(dir, 'models.json');
    writeFileSync(
      modelsFile,
      JSON.stringify({ models: [{ name: 'slow', endpoints: [sim.url] }, { name: 'refusing', endpoints: replicas.map((r) => r.url) }] }),
    );
    app = await startInference(
      loadInferenceConfig({
        LEMUR_MODELS_FILE: modelsFile,
        INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`,
        INFERENCE_METRICS_PORT: '0',
        LOG_LEVEL: 'silent',
        INFERENCE_MAX_ATTEMPTS: '2',
        // 600 tokens a minute (10 a second) and no queueing: a request over the rate is refused at once.
        INFERENCE_TEAM_LIMITS: JSON.stringify({ metered: { tokensPerMinute: 600, maxQueued: 0 } }),
      }),
    );
    client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 20_000 });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await sim?.close();
    await Promise.all((replicas ?? []).map((r) => new Promise((ok) => r.server.close(ok))));
    rmSync(dir, { recursive: true, force: true });
  });

  it("a team over its token rate gets RESOURCE_EXHAUSTED with retry-after = its bucket's refill time", async () => {
    // Charged 1 (prompt) + 590 (max tokens) while it runs (~700 ms): 9 of the 600 tokens are left.
    const running = client.generate({ model: 'slow', prompt: 'x', team: 'metered', sampling: { maxTokens: 590, temperature: 0.5 } });
    await new Promise((r) => setTimeout(r, 100));
    const err = await failure(client.generate({ model: 'slow', prompt: 'y', team: 'metered', sampling: { maxTokens: 295, temperature: 0.5 } }));
    expect(err.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
    // 296 tokens asked; 9 in the bucket plus 10 a second since (well under the 0.7 s the first runs): 28.0 to 28.7 s to
    // refill, rounded up.
    expect(err.retryAfterSeconds).toBe(29);
    expect(trailer(err)).toEqual(['29']);
    await running;
  });

  it('every replica refused with 429 and Retry-After: UNAVAILABLE with the smallest, unary and streamed', async () => {
    const unary = await failure(client.generate({ model: 'refusing', prompt: 'x', team: 't', sampling: { maxTokens: 2 } }));
    expect(unary.code).toBe(PlatformErrorCode.UPSTREAM_FAILED);
    expect(unary.retryAfterSeconds).toBe(3);
    expect(trailer(unary)).toEqual(['3']);
    expect(replicas.map((r) => r.posts())).toEqual([1, 1]);

    const streamed = await streamFailure(client.generateStream({ request: { model: 'refusing', prompt: 'x', team: 't', sampling: { maxTokens: 2 } } }));
    expect(streamed).toMatchObject({ code: PlatformErrorCode.UPSTREAM_FAILED, retryAfterSeconds: 3 });
    expect(trailer(streamed)).toEqual(['3']);
  });

  it('a failure that is no refusal carries no retry-after', async () => {
    const err = await failure(client.generate({ model: 'nope', prompt: 'x', team: 't', sampling: { maxTokens: 2 } }));
    expect(err.code).toBe(PlatformErrorCode.MODEL_NOT_FOUND);
    expect(err.retryAfterSeconds).toBeUndefined();
    expect(trailer(err)).toEqual([]);
  });
});
