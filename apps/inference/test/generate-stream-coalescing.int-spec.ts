import { Server } from '@grpc/grpc-js';
import { inferenceV1 } from '@lemur/proto';
import { createGrpcClient, createHealth, grpcMicroserviceOptions, type GrpcClient } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { bindLoopback } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateCommand, GenerateService } from '../src/generate/generate.service';
import { generateStreamHandler } from '../src/generate/inference.grpc-handler';
import type { UpstreamChunk } from '../src/upstream/openai-upstream';

type Chunk = UpstreamChunk & { endpoint: string };

const ENDPOINT = 'http://127.0.0.1:9';
const text = (delta: string): Chunk => ({ index: 0, delta, finishReason: undefined, usage: undefined, endpoint: ENDPOINT });
const finish: Chunk = { index: 0, delta: '', finishReason: 'stop', usage: undefined, endpoint: ENDPOINT };
const usage: Chunk = { index: 0, delta: '', finishReason: undefined, usage: { promptTokens: 3, completionTokens: 4 }, endpoint: ENDPOINT };

/**
 * GenerateStream served by the real handler over a real gRPC socket, with a generation scripted per model name in
 * place of the upstream: what the caller receives shows which chunks became one message.
 */
describe('GenerateStream messages from the generation chunks', () => {
  const scripts = new Map<string, () => AsyncGenerator<Chunk>>();
  let server: Server;
  let client: GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

  beforeAll(async () => {
    const generation = {
      generateStream: (cmd: GenerateCommand) => scripts.get(cmd.model)!(),
    } as unknown as GenerateService;
    const options = grpcMicroserviceOptions({
      url: '127.0.0.1:0',
      services: [inferenceV1.InferenceService],
      health: createHealth([inferenceV1.InferenceService]),
      rawHandlers: [generateStreamHandler(generation, createLogger('test', 'silent'))],
    });
    server = new Server();
    options.options.onLoadPackageDefinition!({}, server);
    client = createGrpcClient(inferenceV1.InferenceService, await bindLoopback(server), { defaultDeadlineMs: 10_000 });
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const request = (model: string) => ({ request: { model, prompt: 'p', sampling: { maxTokens: 8, temperature: 1, topP: 1, n: 1 } } });

  it('sends the chunks ready in one turn (one read of a busy replica) as one message, usage included', async () => {
    scripts.set('together', async function* () {
      yield text('a');
      yield text(' b');
      yield text(' c');
      yield finish;
      yield usage;
    });
    const messages: inferenceV1.GenerateStreamResponse[] = [];
    for await (const m of client.generateStream(request('together'))) messages.push(m);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ index: 0, delta: 'a b c', finishReason: 'stop', endpoint: ENDPOINT, usage: { promptTokens: 3, completionTokens: 4 } });
  });

  it('sends a lone chunk at once: the caller has it before the next one is produced', async () => {
    let received!: () => void;
    const firstReceived = new Promise<void>((resolve) => (received = resolve));
    scripts.set('paced', async function* () {
      yield text('a');
      // The next token only comes once the caller holds the first: a handler that held 'a' back would never finish.
      await firstReceived;
      yield text(' b');
      yield finish;
      yield usage;
    });
    const deltas: string[] = [];
    const started = Date.now();
    for await (const m of client.generateStream(request('paced'))) {
      deltas.push(m.delta);
      if (deltas.length === 1) received();
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(deltas).toEqual(['a', ' b']);
  });

  it('keeps chunks of different choices, and a finished choice, in messages of their own', async () => {
    scripts.set('choices', async function* () {
      yield { ...text('x'), index: 0 };
      yield { ...text('y'), index: 1 };
      yield { ...finish, index: 1 };
      yield { ...text('z'), index: 0 };
      yield usage;
    });
    const messages: inferenceV1.GenerateStreamResponse[] = [];
    for await (const m of client.generateStream(request('choices'))) messages.push(m);
    expect(messages.map((m) => [m.index, m.delta, m.finishReason, m.usage?.completionTokens ?? null])).toEqual([
      [0, 'x', '', null],
      [1, 'y', 'stop', null],
      [0, 'z', '', 4],
    ]);
  });
});
