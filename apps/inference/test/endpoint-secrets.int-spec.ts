import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inferenceV1 } from '@lemur/proto';
import { type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { freePort } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInferenceConfig } from '../src/config/inference.config';
import { startInference } from '../src/inference.app';
import { completeUpstream, streamUpstream, type UpstreamRequest } from '../src/upstream/openai-upstream';

const SECRET = 'hunter2-do-not-log';

/** A pino destination whose lines the test can read, as the gateway's tests capture its log. */
function logCapture(): { sink: Writable; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { sink, lines };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('endpoint URLs never put a secret in logs, metrics or errors', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lemur-endpoint-secrets-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function configFor(models: unknown, port: number, extra: Record<string, string> = {}) {
    const modelsFile = join(dir, `models-${port}.json`);
    writeFileSync(modelsFile, JSON.stringify({ models }));
    return loadInferenceConfig({
      LEMUR_MODELS_FILE: modelsFile,
      INFERENCE_GRPC_URL: `127.0.0.1:${port}`,
      INFERENCE_METRICS_PORT: '0',
      LOG_LEVEL: 'debug',
      ...extra,
    });
  }

  it.each([
    ['a password', (port: number) => `http://user:${SECRET}@127.0.0.1:${port}/v1`, /carries a username or password.*"apiKeyEnv"/],
    ['a query string', (port: number) => `http://127.0.0.1:${port}/v1?api-key=${SECRET}`, /has a query string/],
  ])('refuses to start with an endpoint carrying %s, naming the model, and logs no secret', async (_what, endpoint, reason) => {
    const deadPort = await freePort();
    const { sink, lines } = logCapture();
    const err = await failure(startInference(configFor([{ name: 'leaky', endpoints: [endpoint(deadPort)] }], await freePort()), { logDestination: sink }));
    // How main.ts reports a failed start.
    createLogger('inference', 'info', sink).fatal({ err }, 'inference failed to start');
    expect(err.message).toMatch(/model registry .*: models\.0\.endpoints\.0: model "leaky": endpoints\[0\] \(http:\/\/127\.0\.0\.1:\d+\/v1\) /);
    expect(err.message).toMatch(reason);
    expect(lines.some((line) => line.includes('model \\"leaky\\"'))).toBe(true);
    expect(lines.filter((line) => line.includes(SECRET))).toEqual([]);
  });

  it('keeps the API key out of the log, the metrics and the error while a refused replica is retried and ejected', async () => {
    const deadA = `http://127.0.0.1:${await freePort()}/v1`;
    const deadB = `http://127.0.0.1:${await freePort()}`;
    const { sink, lines } = logCapture();
    const app: RunningGrpcApp = await startInference(
      configFor([{ name: 'keyed', endpoints: [deadA, deadB], apiKeyEnv: 'KEYED_API_KEY' }], await freePort(), {
        KEYED_API_KEY: SECRET,
        INFERENCE_MAX_ATTEMPTS: '2',
        INFERENCE_EJECT_AFTER_FAILURES: '1',
        INFERENCE_ENGINE_SCRAPE_MS: '50',
      }),
      { logDestination: sink },
    );
    const client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 10_000 });
    try {
      const err = (await failure(client.generate({ model: 'keyed', prompt: 'hello', sampling: { maxTokens: 4 } }))) as PlatformError;
      expect(err.code).toBe('UPSTREAM_FAILED');
      expect(err.message).toMatch(/model "keyed" failed after 2 attempts; last: cannot reach http:\/\/127\.0\.0\.1:\d+(\/v1)?: /);
      await until(() => lines.some((line) => line.includes('cannot read engine metrics')));
      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      // The lines that name a failed replica were written, by its redacted URL.
      expect(logged.find((l) => l.msg === 'upstream attempt failed, retrying on another replica')).toMatchObject({ model: 'keyed' });
      expect(logged.filter((l) => l.msg === 'replica ejected after failures; will probe it after the back-off').map((l) => l.replica)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+(\/v1)?$/)]),
      );
      const metrics = await (await fetch(`${app.metricsUrl}/metrics`)).text();
      expect(metrics).toContain(`lemur_inference_replica_ready{model="keyed",replica="${deadA}"`);
      expect([err.message, metrics, ...lines].filter((text) => text.includes(SECRET))).toEqual([]);
    } finally {
      client.close();
      await app.close();
    }
  });

  it('scrubs the API key from a model server error that echoes the Authorization header, keeping the rest', async () => {
    // A model server that, like some gateways, quotes the credential it refused; the 500 pads the key onto the 500-char cut.
    const padding = 'x'.repeat(480);
    const upstream: Server = createServer((req, res) => {
      req.resume();
      const echoed = req.headers.authorization ?? '';
      const status = req.url?.startsWith('/broken') ? 500 : 401;
      const message = status === 401 ? `invalid credentials: ${echoed} is not a known key` : `${padding}${echoed}`;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const { sink, lines } = logCapture();
    const app: RunningGrpcApp = await startInference(
      configFor(
        [
          { name: 'keyed', endpoints: [base], apiKeyEnv: 'KEYED_API_KEY' },
          { name: 'broken', endpoints: [`${base}/broken`], apiKeyEnv: 'KEYED_API_KEY' },
        ],
        await freePort(),
        { KEYED_API_KEY: SECRET, INFERENCE_MAX_ATTEMPTS: '1' },
      ),
      { logDestination: sink },
    );
    const client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 10_000 });
    try {
      const plain = (await failure(client.generate({ model: 'keyed', prompt: 'hello', sampling: { maxTokens: 4 } }))) as PlatformError;
      const streamed = (await failure(
        (async () => {
          for await (const _chunk of client.generateStream({ request: { model: 'keyed', prompt: 'hello', sampling: { maxTokens: 4 } } })) {
            throw new Error('a refusing model server sent a chunk');
          }
        })(),
      )) as PlatformError;
      for (const err of [plain, streamed]) {
        expect(err.code).toBe('INVALID_ARGUMENT');
        expect(err.message).toContain('model server rejected the request (401): invalid credentials: Bearer [redacted] is not a known key');
      }
      const broken = (await failure(client.generate({ model: 'broken', prompt: 'hello', sampling: { maxTokens: 4 } }))) as PlatformError;
      expect(broken.code).toBe('UPSTREAM_FAILED');
      expect(broken.message).toMatch(/answered 500: x{480}Bearer \[redacted\]/);
      // The cut comes after the redaction: not even the key's first characters are left at the 500-char boundary.
      expect(broken.message).not.toContain(SECRET.slice(0, 4));
      expect([plain.message, streamed.message, broken.message, ...lines].filter((text) => text.includes(SECRET))).toEqual([]);
    } finally {
      client.close();
      await app.close();
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  it('prints a replica URL without its query string when a call to it is refused (defence in depth)', async () => {
    const baseUrl = `http://127.0.0.1:${await freePort()}/v1?api-key=${SECRET}`;
    const { sink, lines } = logCapture();
    const logger = createLogger('inference', 'debug', sink);
    const request = (): UpstreamRequest => ({
      baseUrl,
      apiKey: undefined,
      model: 'm',
      prompt: 'hello',
      maxTokens: 4,
      temperature: 0,
      topP: 1,
      stop: [],
      n: 1,
      signal: new AbortController().signal,
      timeoutMs: 5_000,
      firstByteTimeoutMs: 4_000,
      idleTimeoutMs: 5_000,
    });
    const plain = await failure(completeUpstream(request()));
    const streamed = await failure(
      (async () => {
        for await (const _chunk of streamUpstream(request())) throw new Error('a refused replica sent a chunk');
      })(),
    );
    for (const err of [plain, streamed]) {
      expect(err).toMatchObject({ name: 'UpstreamError', retryable: true });
      expect(err.message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/v1: /);
      // How GenerateService logs a failed attempt.
      logger.warn({ model: 'm', err }, 'upstream attempt failed, retrying on another replica');
    }
    expect(lines).toHaveLength(2);
    expect(lines.filter((line) => line.includes(SECRET))).toEqual([]);
  });
});
