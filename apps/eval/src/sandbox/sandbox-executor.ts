import type { CodeExecutor, ExecutionRequest, ExecutionResult } from '@lemur/benchmarks';
import { sandboxV1 } from '@lemur/proto';
import type { GrpcClient } from '@lemur/shared-grpc';

const LANGUAGES = { python: sandboxV1.Language.PYTHON, bash: sandboxV1.Language.BASH, sql: sandboxV1.Language.SQL } as const;

/** Runs benchmark programs in the sandbox service (the scorers' CodeExecutor): Python, bash, or SQL on a loaded database. */
export class SandboxExecutor implements CodeExecutor {
  constructor(
    private readonly client: Pick<GrpcClient<(typeof sandboxV1.SandboxService)['method']>, 'execute'>,
    private readonly team: string,
  ) {}

  async execute(req: ExecutionRequest): Promise<ExecutionResult> {
    const response = await this.client.execute(
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
