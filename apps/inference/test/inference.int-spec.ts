import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, type GrpcObject } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { inferenceV1 } from '@lemur/proto';
import { type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { freePort, startSimulatorProcess, type SimulatorProcess } from '@lemur/shared-testing';
import { protoPath as healthProtoPath } from 'grpc-health-check';
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

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('inference service over real gRPC, routing to real simulator processes', () => {
  const sims: SimulatorProcess[] = [];
  let app: RunningGrpcApp;
  let client: Client;
  let dir: string;
  let deadUrl: string;

  beforeAll(async () => {
    const [fastA, fastB, slow, stalling] = await Promise.all([
      startSimulatorProcess(['--model', 'echo=echo', '--fast']),
      startSimulatorProcess(['--model', 'echo=echo', '--fast']),
      startSimulatorProcess(['--model', 'slow=echo', '--tpot-ms', '40', '--ttft-ms', '5']),
      startSimulatorProcess(['--model', 'stall=echo', '--stall-rate', '1', '--ttft-ms', '1', '--tpot-ms', '1']),
    ]);
    sims.push(fastA!, fastB!, slow!, stalling!);
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    dir = mkdtempSync(join(tmpdir(), 'lemur-inference-'));
    const modelsFile = join(dir, 'models.json');
    writeFileSync(
      modelsFile,
      JSON.stringify({
        models: [
          { name: 'pair', servedModelName: 'echo', endpoints: [fastA!.url, fastB!.url] },
          { name: 'flaky', servedModelName: 'echo', endpoints: [deadUrl, fastA!.url] },
          { name: 'flaky-stream', servedModelName: 'echo', endpoints: [deadUrl, fastA!.url] },
          { name: 'slow', endpoints: [slow!.url] },
          { name: 'slow-pair', servedModelName: 'slow', endpoints: [slow!.url, `${slow!.url}/`] },
          { name: 'stall', endpoints: [stalling!.url] },
        ],
      }),
    );
    const port = await freePort();
    app = await startInference(
      loadInferenceConfig({
        LEMUR_MODELS_FILE: modelsFile,
        INFERENCE_GRPC_URL: `127.0.0.1:${port}`,
        INFERENCE_METRICS_PORT: '0',
        INFERENCE_STREAM_IDLE_MS: '500',
        LOG_LEVEL: 'silent',
      }),
    );
    client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 10_000 });
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a completion with usage and names the replica that answered', async () => {
    const response = await client.generate({ model: 'pair', prompt: 'hello there', sampling: { maxTokens: 16 } });
    expect(response.choices).toHaveLength(1);
    expect(response.choices[0]!.text.length).toBeGreaterThan(0);
    expect(response.usage?.completionTokens).toBeGreaterThan(0);
    expect([sims[0]!.url, sims[1]!.url]).toContain(response.endpoint);
  });

  it('spreads concurrent requests over the replicas (least outstanding requests)', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.generate({ model: 'pair', prompt: `request ${i}`, sampling: { maxTokens: 8 } })),
    );
    const byEndpoint = new Map<string, number>();
    for (const r of responses) byEndpoint.set(r.endpoint, (byEndpoint.get(r.endpoint) ?? 0) + 1);
    expect(byEndpoint.size).toBe(2);
    for (const count of byEndpoint.values()) expect(count).toBeGreaterThanOrEqual(5);
  });

  it('retries on another replica when one refuses connections, and ejects the dead one', async () => {
    const responses = [];
    for (let i = 0; i < 6; i++) responses.push(await client.generate({ model: 'flaky', prompt: `try ${i}`, sampling: { maxTokens: 4 } }));
    expect(responses.every((r) => r.endpoint === sims[0]!.url)).toBe(true);
    expect(responses.some((r) => r.attempts > 1)).toBe(true);
    const models = await client.listModels({});
    expect(models.models.find((m) => m.name === 'flaky')).toMatchObject({ endpoints: 2, readyEndpoints: 1 });
    const metrics = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    expect(metricValue(metrics, 'lemur_inference_retries_total', 'model="flaky"')).toBeGreaterThan(0);
  });

  it('streams the same text as a plain generation, ending with usage', async () => {
    const plain = await client.generate({ model: 'pair', prompt: 'stream me please', sampling: { maxTokens: 12 } });
    let text = '';
    let finish = '';
    let usage = 0;
    for await (const chunk of client.generateStream({ request: { model: 'pair', prompt: 'stream me please', sampling: { maxTokens: 12 } } })) {
      text += chunk.delta;
      if (chunk.finishReason) finish = chunk.finishReason;
      if (chunk.usage) usage = chunk.usage.completionTokens;
    }
    expect(text).toBe(plain.choices[0]!.text);
    expect(finish).toBe(plain.choices[0]!.finishReason);
    expect(usage).toBe(plain.usage!.completionTokens);
  });

  it('retries a stream on another replica while nothing was sent, when one refuses connections', async () => {
    for (let i = 0; i < 6; i++) {
      const chunks: inferenceV1.GenerateStreamResponse[] = [];
      for await (const chunk of client.generateStream({ request: { model: 'flaky-stream', prompt: `stream try ${i}`, sampling: { maxTokens: 4 } } })) {
        chunks.push(chunk);
      }
      expect(chunks.map((c) => c.delta).join('')).not.toBe('');
      expect(chunks.every((c) => c.endpoint === sims[0]!.url)).toBe(true);
      expect(chunks.at(-1)!.usage!.completionTokens).toBeGreaterThan(0);
    }
    const metrics = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    expect(metricValue(metrics, 'lemur_inference_retries_total', 'model="flaky-stream"')).toBeGreaterThan(0);
  });

  it('reports a replica that rejects a streamed request as INVALID_ARGUMENT with its reason, without retrying', async () => {
    // Past the simulator's context length (4096 tokens): the replica answers 400.
    const err = await failure(
      (async () => {
        for await (const _ of client.generateStream({ request: { model: 'pair', prompt: 'x', sampling: { maxTokens: 8_000 } } })) {
          // no chunk is expected
        }
      })(),
    );
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/model server rejected the request \(400\): .*maximum context length is 4096/);
  });

  it.each([
    [{ model: 'nope', prompt: 'x' }, 'MODEL_NOT_FOUND', 'model'],
    [{ model: 'pair' }, 'INVALID_ARGUMENT', 'prompt'],
    [{ model: 'pair', prompt: 'x', sampling: { topP: 3 } }, 'INVALID_ARGUMENT', 'sampling.top_p'],
  ])('rejects the stream %j with %s naming %s', async (request, code, field) => {
    const err = await failure(
      (async () => {
        for await (const _ of client.generateStream({ request })) {
          // no chunk is expected
        }
      })(),
    );
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
  });

  it('aborts the upstream request when the caller cancels a stream', async () => {
    const slow = sims[2]!;
    const before = metricValue(await slow.metrics(), 'vllm:request_success_total', 'finished_reason="abort"');
    const controller = new AbortController();
    let chunks = 0;
    const consumed = (async () => {
      for await (const _ of client.generateStream(
        { request: { model: 'slow', prompt: 'a long answer '.repeat(20), sampling: { maxTokens: 200 } } },
        { signal: controller.signal },
      )) {
        chunks += 1;
        if (chunks === 3) controller.abort();
      }
    })();
    await consumed.catch(() => undefined);
    expect(chunks).toBeGreaterThanOrEqual(3);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = metricValue(await slow.metrics(), 'vllm:request_success_total', 'finished_reason="abort"');
    }
    expect(after).toBe(before + 1);
    expect(metricValue(await slow.metrics(), 'vllm:num_requests_running', 'model_name="slow"')).toBe(0);
  });

  it('ends a stalled stream with a clear error instead of a silent truncation', async () => {
    const err = await failure(
      (async () => {
        for await (const _ of client.generateStream({ request: { model: 'stall', prompt: 'x', sampling: { maxTokens: 50 } } })) {
          // keep reading until the stream ends
        }
      })(),
    );
    expect(err.code).toBe('UPSTREAM_FAILED');
    expect(err.message).toMatch(/sent nothing for 500 ms/);
  });

  it.each([
    [{ model: 'nope', prompt: 'x' }, 'MODEL_NOT_FOUND', 'model'],
    [{ model: 'pair' }, 'INVALID_ARGUMENT', 'prompt'],
    [{ model: 'pair', prompt: 'x', messages: [{ role: 'user', content: 'y' }] }, 'INVALID_ARGUMENT', 'prompt'],
    [{ model: 'pair', prompt: 'x', sampling: { temperature: 5 } }, 'INVALID_ARGUMENT', 'sampling.temperature'],
    [{ model: 'pair', messages: [{ role: 'robot', content: 'y' }] }, 'INVALID_ARGUMENT', 'messages[0].role'],
  ])('rejects %j with %s naming %s', async (request, code, field) => {
    const err = await failure(client.generate(request));
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
  });

  it('honours the caller deadline', async () => {
    const err = await failure(client.generate({ model: 'slow', prompt: 'a long answer '.repeat(50), sampling: { maxTokens: 200 } }, { deadlineMs: 200 }));
    expect(err.code).toBe('DEADLINE_EXCEEDED');
  });

  it('serves the standard gRPC health service', async () => {
    const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
      grpc: { health: { v1: { Health: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => GrpcObject } } };
    };
    const health = new pkg.grpc.health.v1.Health(app.grpcUrl, credentials.createInsecure()) as unknown as {
      check(req: { service: string }, opts: { deadline: Date }, cb: (err: Error | null, res: { status: string }) => void): void;
      close(): void;
    };
    const status = await new Promise<string>((done, fail) =>
      health.check({ service: 'lemur.inference.v1.InferenceService' }, { deadline: new Date(Date.now() + 5_000) }, (err, res) =>
        err ? fail(err) : done(res.status),
      ),
    );
    health.close();
    expect(status).toBe('SERVING');
  });
});
