// Generations through the OpenAI routes have their own deadline (GATEWAY_INFERENCE_DEADLINE_MS), not the RPC deadline
// of the gateway's other calls: a stream or a cold start may take far longer than a listing. Tiny values stand in for
// the real ones, against a fake inference service over real gRPC.
import { create } from '@bufbuild/protobuf';
import { Server, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { request } from 'node:http';
import { inferenceV1 } from '@lemur/proto';
import { grpcServiceDefinition } from '@lemur/shared-grpc';
import { bindLoopback, createTestDatabase, freePort, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config/gateway.config';
import { startGateway, type RunningGateway } from '../src/gateway.app';
import { TestApiKeys } from './test-api-keys';

const RPC_DEADLINE_MS = 300;
const INFERENCE_DEADLINE_MS = 20_000;
/** The fake's answers take this long in all: well past the RPC deadline. */
const GENERATION_MS = 4 * RPC_DEADLINE_MS;
const CHUNKS = 8;

/** An inference service whose generations are slow, whose model listing never answers, and that records cancellations. */
class SlowInference {
  private readonly server = new Server();
  readonly cancelled: string[] = [];
  address = '';

  async start(): Promise<void> {
    this.server.addService(grpcServiceDefinition(inferenceV1.InferenceService), {
      Generate: (call: ServerUnaryCall<inferenceV1.GenerateRequest, unknown>, callback: sendUnaryData<unknown>) => {
        const timer = setTimeout(() => {
          callback(null, create(inferenceV1.GenerateResponseSchema, { model: call.request.model, choices: [{ index: 0, text: 'slow but sure', finishReason: 'stop' }], usage: { promptTokens: 3, completionTokens: 4 }, endpoint: 'fake' }));
        }, GENERATION_MS);
        call.on('cancelled', () => {
          clearTimeout(timer);
          this.cancelled.push('Generate');
        });
      },
      GenerateStream: (call: ServerWritableStream<inferenceV1.GenerateStreamRequest, unknown>) => {
        let sent = 0;
        const timer = setInterval(() => {
          if (sent < CHUNKS) {
            call.write(create(inferenceV1.GenerateStreamResponseSchema, { delta: `t${sent} `, endpoint: 'fake' }));
            sent += 1;
            return;
          }
          clearInterval(timer);
          call.write(create(inferenceV1.GenerateStreamResponseSchema, { delta: '', finishReason: 'stop', endpoint: 'fake' }));
          call.write(create(inferenceV1.GenerateStreamResponseSchema, { usage: { promptTokens: 3, completionTokens: CHUNKS }, endpoint: 'fake' }));
          call.end();
        }, GENERATION_MS / CHUNKS);
        call.on('cancelled', () => {
          clearInterval(timer);
          this.cancelled.push('GenerateStream');
        });
      },
      ListModels: () => {
        // Never answers: the caller's deadline ends it.
      },
    });
    this.address = await bindLoopback(this.server);
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

let db: TestDatabase;
let keys: TestApiKeys;
let inference: SlowInference;
let gateway: RunningGateway;
let auth: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  keys = new TestApiKeys(db.url);
  auth = { authorization: `Bearer ${await keys.key('local')}`, 'content-type': 'application/json' };
  inference = new SlowInference();
  await inference.start();
  gateway = await startGateway(
    loadGatewayConfig({
      DATABASE_URL: db.url,
      GATEWAY_PORT: '0',
      INFERENCE_ADDR: inference.address,
      EVAL_ADDR: `127.0.0.1:${await freePort()}`,
      GATEWAY_RPC_DEADLINE_MS: String(RPC_DEADLINE_MS),
      GATEWAY_INFERENCE_DEADLINE_MS: String(INFERENCE_DEADLINE_MS),
      LOG_LEVEL: 'silent',
    }),
  );
}, 90_000);

afterAll(async () => {
  await gateway?.close();
  inference?.stop();
  await keys?.close();
  await db?.drop();
});

describe('the deadline of generations through the gateway', () => {
  it('lets a stream run longer than the RPC deadline to its end', async () => {
    const started = Date.now();
    const response = await fetch(`${gateway.url}/v1/completions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ model: 'slow', prompt: 'take your time', stream: true, max_tokens: 16 }),
    });
    expect(response.status).toBe(200);
    const events = (await response.text()).split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice('data: '.length));
    expect(Date.now() - started).toBeGreaterThan(RPC_DEADLINE_MS);
    expect(events.at(-1)).toBe('[DONE]');
    const text = events.slice(0, -1).map((e) => (JSON.parse(e) as { choices: { text: string }[] }).choices[0]?.text ?? '').join('');
    expect(text).toBe(Array.from({ length: CHUNKS }, (_, i) => `t${i} `).join(''));
  });

  it('lets a completion without streaming take longer than the RPC deadline', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'take your time' }], max_tokens: 16 }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('slow but sure');
  });

  it('keeps the RPC deadline for listing models', async () => {
    const started = Date.now();
    const response = await fetch(`${gateway.url}/v1/models`, { headers: auth });
    expect(response.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(INFERENCE_DEADLINE_MS / 2);
  });

  it('still cancels the generation when the client disconnects', async () => {
    const before = inference.cancelled.filter((m) => m === 'GenerateStream').length;
    await new Promise<void>((resolve, reject) => {
      const req = request(`${gateway.url}/v1/completions`, { method: 'POST', headers: auth }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.once('error', reject);
      req.end(JSON.stringify({ model: 'slow', prompt: 'never mind', stream: true, max_tokens: 16 }));
    });
    await expect.poll(() => inference.cancelled.filter((m) => m === 'GenerateStream').length, { timeout: 5_000 }).toBe(before + 1);
  });
});
