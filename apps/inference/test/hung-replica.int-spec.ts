// Replicas that take a connection and then never answer (a wedged engine, a half-dead node): the request must move to
// another replica after the first-byte limit, and the replica must be ejected, instead of every request waiting out the
// whole upstream time limit and failing as if its caller had cancelled it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { freePort, startSimulatorProcess, type SimulatorProcess } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInferenceConfig } from '../src/config/inference.config';
import { startInference } from '../src/inference.app';

type Client = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

// Well above what the healthy simulator takes on a loaded machine: only the hung replica may run into them.
const FIRST_BYTE_TIMEOUT_MS = 1_000;
const UPSTREAM_TIMEOUT_MS = 2_500;

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('expected the call to fail');
}

function metricSum(text: string, name: string, labels: string[]): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Accepts TCP connections, reads what comes, and never writes a byte. */
async function startHungServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/** Answers a completion's headers and the first byte of its body, then nothing more. */
async function startStuckServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: HttpServer = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}

describe('a replica that accepts connections and never answers', () => {
  let sim: SimulatorProcess;
  let stalling: SimulatorProcess;
  let hung: Awaited<ReturnType<typeof startHungServer>>;
  let stuck: Awaited<ReturnType<typeof startStuckServer>>;
  let app: RunningGrpcApp;
  let client: Client;
  let dir: string;

  beforeAll(async () => {
    [sim, stalling, hung, stuck] = await Promise.all([
      startSimulatorProcess(['--model', 'echo=echo', '--fast']),
      startSimulatorProcess(['--model', 'echo=echo', '--stall-rate', '1', '--ttft-ms', '1', '--tpot-ms', '1']),
      startHungServer(),
      startStuckServer(),
    ]);
    // The healthy replica's first answer (a cold process) is not what is under test.
    await fetch(`${sim.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'echo', prompt: 'warm up', max_tokens: 4 }) });
    dir = mkdtempSync(join(tmpdir(), 'lemur-hung-'));
    const modelsFile = join(dir, 'models.json');
    const beside = { servedModelName: 'echo', endpoints: [hung.url, sim.url], routingPolicy: 'least-outstanding' };
    writeFileSync(
      modelsFile,
      JSON.stringify({
        models: [
          { name: 'hung', ...beside },
          { name: 'hung-stream', ...beside },
          { name: 'stuck', servedModelName: 'echo', endpoints: [stuck.url] },
          { name: 'stalling', servedModelName: 'echo', endpoints: [stalling.url] },
        ],
      }),
    );
    app = await startInference(
      loadInferenceConfig({
        LEMUR_MODELS_FILE: modelsFile,
        INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`,
        INFERENCE_METRICS_PORT: '0',
        INFERENCE_FIRST_BYTE_TIMEOUT_MS: String(FIRST_BYTE_TIMEOUT_MS),
        INFERENCE_UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
        // Longer than the upstream limit: a stream that stalls mid-way here runs into that limit.
        INFERENCE_STREAM_IDLE_MS: '60000',
        INFERENCE_EJECT_AFTER_FAILURES: '2',
        // No probe of an ejected replica while the test runs.
        INFERENCE_EJECT_MS: '600000',
        // The hung replica would hang its scrapes too; routing here runs on in-flight counts.
        INFERENCE_ENGINE_SCRAPE_MS: '0',
        LOG_LEVEL: 'silent',
      }),
    );
    client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 20_000 });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await Promise.all([sim?.close(), stalling?.close(), hung?.close(), stuck?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const metrics = async () => (await fetch(`${app.metricsUrl}/metrics`)).text();

  it('retries Generate on the healthy replica after the first-byte limit, and ejects the hung one', async () => {
    const responses = [];
    for (let i = 0; i < 6; i++) responses.push(await client.generate({ model: 'hung', prompt: `are you there ${i}`, sampling: { maxTokens: 4 } }));
    expect(responses.map((r) => r.endpoint)).toEqual(Array(6).fill(sim.url));
    expect(responses.filter((r) => r.attempts === 2)).toHaveLength(2);
    expect((await client.listModels({})).models.find((m) => m.name === 'hung')).toMatchObject({ endpoints: 2, readyEndpoints: 1 });
    const text = await metrics();
    expect(metricSum(text, 'lemur_inference_retries_total', ['model="hung"', `replica="${hung.url}"`])).toBe(2);
    expect(metricSum(text, 'lemur_inference_replica_ejections_total', ['model="hung"', `replica="${hung.url}"`])).toBe(1);
    expect(metricSum(text, 'lemur_inference_requests_total', ['model="hung"', 'outcome="ok"'])).toBe(6);
    expect(metricSum(text, 'lemur_inference_requests_total', ['model="hung"', 'outcome="cancelled"'])).toBe(0);
  });

  it('retries a stream on the healthy replica before its first token, and ejects the hung one', async () => {
    for (let i = 0; i < 6; i++) {
      let text = '';
      const endpoints = new Set<string>();
      for await (const chunk of client.generateStream({ request: { model: 'hung-stream', prompt: `stream to me ${i}`, sampling: { maxTokens: 4 } } })) {
        text += chunk.delta;
        endpoints.add(chunk.endpoint);
      }
      expect(text).not.toBe('');
      expect([...endpoints]).toEqual([sim.url]);
    }
    expect((await client.listModels({})).models.find((m) => m.name === 'hung-stream')).toMatchObject({ endpoints: 2, readyEndpoints: 1 });
    const text = await metrics();
    expect(metricSum(text, 'lemur_inference_retries_total', ['model="hung-stream"', `replica="${hung.url}"`])).toBe(2);
    expect(metricSum(text, 'lemur_inference_replica_ejections_total', ['model="hung-stream"', `replica="${hung.url}"`])).toBe(1);
    expect(metricSum(text, 'lemur_inference_requests_total', ['model="hung-stream"', 'outcome="ok"'])).toBe(6);
  });

  it('reports its own upstream time limit as DEADLINE_EXCEEDED, a failure of the replica, not a cancellation', async () => {
    const plain = await failure(client.generate({ model: 'stuck', prompt: 'answer me', sampling: { maxTokens: 4 } }));
    expect(plain.code).toBe('DEADLINE_EXCEEDED');
    expect(plain.message).toContain(`did not finish within ${UPSTREAM_TIMEOUT_MS} ms`);
    // A stream that sent its first token and then stalled, with the idle limit above the upstream one.
    const streamed = await failure(
      (async () => {
        for await (const _ of client.generateStream({ request: { model: 'stalling', prompt: 'talk to me', sampling: { maxTokens: 50 } } })) {
          // read until it ends
        }
      })(),
    );
    expect(streamed.code).toBe('DEADLINE_EXCEEDED');
    // A second timed-out call ejects the replica (two failures in a row): our limit counts against it.
    expect((await failure(client.generate({ model: 'stuck', prompt: 'answer me again', sampling: { maxTokens: 4 } }))).code).toBe('DEADLINE_EXCEEDED');
    const text = await metrics();
    expect(metricSum(text, 'lemur_inference_replica_ejections_total', ['model="stuck"'])).toBe(1);
    for (const model of ['stuck', 'stalling']) {
      expect(metricSum(text, 'lemur_inference_requests_total', [`model="${model}"`, 'outcome="cancelled"'])).toBe(0);
      expect(metricSum(text, 'lemur_inference_retries_total', [`model="${model}"`])).toBe(0);
    }
    expect(metricSum(text, 'lemur_inference_requests_total', ['model="stuck"', 'outcome="error"'])).toBe(2);
    expect(metricSum(text, 'lemur_inference_requests_total', ['model="stalling"', 'outcome="error"'])).toBe(1);
  });
});
