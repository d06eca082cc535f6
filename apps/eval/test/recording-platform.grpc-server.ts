import { create } from '@bufbuild/protobuf';
import { Server, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { inferenceV1, sandboxV1 } from '@lemur/proto';
import { grpcServiceDefinition } from '@lemur/shared-grpc';
import { bindLoopback } from '@lemur/shared-testing';

/** One call as the fake received it: the RPC, the team it was made for, and what a test may want to tell calls apart by. */
export interface RecordedCall {
  rpc: 'Generate' | 'Execute' | 'CreateSession' | 'RunCell' | 'CloseSession';
  team: string;
  /** Generate: whether the request asked for log-probabilities (the likelihood path of MMLU). */
  logprobs?: boolean;
}

/** How the fake model answers a Generate call (any text ends a MINT episode within its budget). */
export type ModelReply = (request: inferenceV1.GenerateRequest) => Promise<string> | string;

/**
 * Stand-ins for the inference and sandbox services over real gRPC on loopback, recording the team of every call: what
 * an eval worker sends is the behaviour under test, so the answers are just enough for samples to be scored.
 * The sandbox part is optional, for tests that run the real sandbox service instead.
 */
export class RecordingPlatformServer {
  readonly calls: RecordedCall[] = [];
  /** host:port of the server, once started. */
  address = '';
  private readonly server = new Server();
  private sessions = 0;

  private constructor(private readonly reply: ModelReply) {}

  static async start(opts: { reply: ModelReply; sandbox: boolean }): Promise<RecordingPlatformServer> {
    const fake = new RecordingPlatformServer(opts.reply);
    fake.server.addService(grpcServiceDefinition(inferenceV1.InferenceService), fake.inferenceHandlers());
    if (opts.sandbox) fake.server.addService(grpcServiceDefinition(sandboxV1.SandboxService), fake.sandboxHandlers());
    fake.address = await bindLoopback(fake.server);
    return fake;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private inferenceHandlers() {
    return {
      Generate: unary(async (req: inferenceV1.GenerateRequest) => {
        this.calls.push({ rpc: 'Generate', team: req.team, logprobs: req.sampling?.logprobs !== undefined });
        const text = await this.reply(req);
        return create(inferenceV1.GenerateResponseSchema, {
          model: req.model,
          choices: [{ index: 0, text, finishReason: 'stop' }],
          usage: { promptTokens: 10, completionTokens: 5 },
          endpoint: 'fake',
          latencyMs: 1,
          upstreamMs: 1,
          attempts: 1,
        });
      }),
    };
  }

  private sandboxHandlers() {
    const passed = { exitCode: 0, stdout: '', wallMs: 1 };
    return {
      Execute: unary((req: sandboxV1.ExecuteRequest) => {
        this.calls.push({ rpc: 'Execute', team: req.team });
        return create(sandboxV1.ExecuteResponseSchema, passed);
      }),
      CreateSession: unary((req: sandboxV1.CreateSessionRequest) => {
        this.calls.push({ rpc: 'CreateSession', team: req.team });
        this.sessions += 1;
        return create(sandboxV1.CreateSessionResponseSchema, { sessionId: `ses_${this.sessions}`, backend: 'fake' });
      }),
      RunCell: unary((req: sandboxV1.RunCellRequest) => {
        this.calls.push({ rpc: 'RunCell', team: req.team });
        return create(sandboxV1.RunCellResponseSchema, { result: passed, sessionEnded: false });
      }),
      CloseSession: unary((req: sandboxV1.CloseSessionRequest) => {
        this.calls.push({ rpc: 'CloseSession', team: req.team });
        return create(sandboxV1.CloseSessionResponseSchema, {});
      }),
    };
  }
}

function unary<I>(fn: (request: I) => unknown) {
  return (call: ServerUnaryCall<I, unknown>, callback: sendUnaryData<unknown>) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(err as Error),
      );
  };
}
