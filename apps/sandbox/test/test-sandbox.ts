import type { CodeExecutor, ExecutionRequest, ExecutionResult } from '@lemur/benchmarks';
import { sandboxV1 } from '@lemur/proto';
import { createGrpcClient, type GrpcClient } from '@lemur/shared-grpc';
import { freePort } from '@lemur/shared-testing';
import { loadSandboxConfig } from '../src/config/sandbox.config';
import { startSandbox, type RunningSandbox } from '../src/sandbox.app';

/** A gRPC client of the sandbox service. */
export type SandboxClient = GrpcClient<(typeof sandboxV1.SandboxService)['method']>;

const LANGUAGES = { python: sandboxV1.Language.PYTHON, bash: sandboxV1.Language.BASH, sql: sandboxV1.Language.SQL } as const;

/** The scorers' executor over the real sandbox service (the same mapping as the eval worker's SandboxExecutor). */
export class GrpcExecutor implements CodeExecutor {
  constructor(
    private readonly client: SandboxClient,
    private readonly team = 'sandbox-test',
  ) {}
  async execute(req: ExecutionRequest): Promise<ExecutionResult> {
    const r = await this.client.execute(
      {
        language: LANGUAGES[req.language],
        code: req.code,
        limits: { wallMs: req.timeoutMs },
        team: this.team,
        ...(req.database ? { database: { source: { case: 'mysqlDatabase' as const, value: req.database.name }, maxRows: req.database.maxRows ?? 0 } } : {}),
      },
      { deadlineMs: req.timeoutMs + 30_000 },
    );
    return {
      exitCode: r.exitCode ?? null,
      stdout: r.stdout,
      stderr: r.stderr,
      timedOut: r.timedOut,
      memoryExceeded: r.memoryExceeded,
      outputTruncated: r.stdoutTruncated || r.stderrTruncated,
      wallMs: r.wallMs,
    };
  }
}

/** The sandbox service started in-process on a free loopback port, with a client. */
export interface TestSandbox {
  app: RunningSandbox;
  client: SandboxClient;
  close(): Promise<void>;
}

/** Starts the sandbox service with `env` over the defaults tests share (free port, no metrics port, silent logs). */
export async function startTestSandbox(env: Record<string, string> = {}, deadlineMs = 30_000): Promise<TestSandbox> {
  const app = await startSandbox(
    loadSandboxConfig({ SANDBOX_GRPC_URL: `127.0.0.1:${await freePort()}`, SANDBOX_METRICS_PORT: '0', LOG_LEVEL: 'silent', ...env }),
  );
  const client = createGrpcClient(sandboxV1.SandboxService, app.grpcUrl, { defaultDeadlineMs: deadlineMs });
  return {
    app,
    client,
    close: async () => {
      client.close();
      await app.close();
    },
  };
}
