import type { CodeExecutor, ExecutionRequest, ExecutionResult } from '@lemur/benchmarks';
import { sandboxV1 } from '@lemur/proto';
import type { GrpcClient } from '@lemur/shared-grpc';

/** Runs benchmark programs in the sandbox service (the scorers' CodeExecutor). */
export class SandboxExecutor implements CodeExecutor {
  constructor(
    private readonly client: Pick<GrpcClient<(typeof sandboxV1.SandboxService)['method']>, 'execute'>,
    private readonly team: string,
  ) {}

  async execute(req: ExecutionRequest): Promise<ExecutionResult> {
    const response = await this.client.execute(
      {
        language: sandboxV1.Language.PYTHON,
        code: req.code,
        limits: { wallMs: req.timeoutMs },
        team: this.team,
      },
      { deadlineMs: req.timeoutMs + 30_000 },
    );
    return {
      exitCode: response.exitCode ?? null,
      stdout: response.stdout,
      stderr: response.stderr,
      timedOut: response.timedOut,
      memoryExceeded: response.memoryExceeded,
      outputTruncated: response.stdoutTruncated || response.stderrTruncated,
      wallMs: response.wallMs,
    };
  }
}
