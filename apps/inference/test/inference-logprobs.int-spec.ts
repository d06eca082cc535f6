import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { PlatformErrorCode, type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createTestDatabase, freePort, startSimulatorProcess, type SimulatorProcess, type TestDatabase } from '@lemur/shared-testing';
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

describe('log-probabilities through the inference service (real gRPC, real simulators, real PostgreSQL cache)', () => {
  const sims: SimulatorProcess[] = [];
  let app: RunningGrpcApp;
  let client: Client;
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    const [sim, strict] = await Promise.all([
      startSimulatorProcess(['--model', 'echo=echo', '--fast']),
      startSimulatorProcess(['--model', 'echo=echo', '--fast', '--max-logprobs', '0']),
    ]);
    sims.push(sim!, strict!);
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'lemur-inference-logprobs-'));
    const modelsFile = join(dir, 'models.json');
    writeFileSync(modelsFile, JSON.stringify({ models: [{ name: 'echo', endpoints: [sim!.url] }, { name: 'strict', servedModelName: 'echo', endpoints: [strict!.url] }] }));
    app = await startInference(
      loadInferenceConfig({ LEMUR_MODELS_FILE: modelsFile, INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`, INFERENCE_METRICS_PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: db.url }),
    );
    client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 20_000 });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await Promise.all(sims.map((s) => s.close()));
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = (prompt: string, logprobs?: number, model = 'echo') =>
    client.generate({ model, prompt, team: 't', sampling: { maxTokens: 3, temperature: 0, ...(logprobs === undefined ? {} : { logprobs }) } });

  it('returns each generated token with its log-probability, alternatives and offset', async () => {
    const response = await ask('Q.\n\nalpha beta gamma', 4);
    const choice = response.choices[0]!;
    expect(choice.text).toBe('alpha beta');
    const lp = choice.logprobs!;
    expect(lp.tokens).toEqual(['alph', 'a', ' beta']);
    expect(lp.textOffset).toEqual([0, 4, 5]);
    expect(lp.tokenLogprobs).toHaveLength(3);
    expect(lp.topLogprobs.map((t) => t.candidates.length)).toEqual([4, 4, 4]);
    expect(lp.topLogprobs[2]!.candidates[0]).toMatchObject({ token: ' beta', logprob: lp.tokenLogprobs[2] });
    expect((await ask('Q.\n\nalpha beta gamma')).choices[0]!.logprobs).toBeUndefined();
  });

  it('caches log-probabilities under a key of their own', async () => {
    const plain = await ask('cache key one two');
    const first = await ask('cache key one two', 5);
    // The entry without log-probabilities does not answer a request for them, nor one for another number of them.
    expect([plain.cached, first.cached]).toEqual([false, false]);
    expect(first.choices[0]!.logprobs?.tokens).toHaveLength(3);
    const again = await ask('cache key one two', 5);
    expect(again).toMatchObject({ cached: true, endpoint: 'cache' });
    expect(again.choices).toEqual(first.choices);
    expect((await ask('cache key one two', 2)).cached).toBe(false);
    expect((await ask('cache key one two')).cached).toBe(true);
  });

  it('passes a replica\'s refusal on as INVALID_ARGUMENT with vLLM\'s message', async () => {
    const err = await failure(ask('anything', 20, 'strict'));
    expect(err.code).toBe(PlatformErrorCode.INVALID_ARGUMENT);
    expect(err.message).toContain('Requested sample logprobs of 20, which is greater than max allowed: 0');
  });

  it('refuses log-probabilities for chat messages and on the stream, naming the field', async () => {
    const chat = await failure(client.generate({ model: 'echo', messages: [{ role: 'user', content: 'hi' }], sampling: { maxTokens: 2, logprobs: 1 } }));
    expect(chat).toMatchObject({ code: PlatformErrorCode.INVALID_ARGUMENT, field: 'sampling.logprobs' });
    const stream = client.generateStream({ request: { model: 'echo', prompt: 'hi', sampling: { maxTokens: 2, logprobs: 1 } } });
    const streamed = await failure(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    );
    expect(streamed).toMatchObject({ code: PlatformErrorCode.INVALID_ARGUMENT, field: 'sampling.logprobs' });
  });
});
