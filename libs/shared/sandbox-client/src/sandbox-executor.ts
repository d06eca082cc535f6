import type { CodeExecutor, ExecutionRequest, ExecutionResult } from '@lemur/benchmarks';
import { sandboxV1 } from '@lemur/proto';
import { toExecutionResult } from './execution-result.mapper';
import type { SandboxClient } from './sandbox-client';

const LANGUAGES = { python: sandboxV1.Language.PYTHON, bash: sandboxV1.Language.BASH, sql: sandboxV1.Language.SQL } as const;

// Headroom over the program's own wall limit for the sandbox to start it and report a timeout.
const RPC_SLACK_MS = 30_000;

/** The benchmarks' CodeExecutor over the sandbox service's Execute: Python, bash, or SQL on a MySQL database it serves. */
export class SandboxExecutor implements CodeExecutor {
  constructor(
    private readonly client: Pick<SandboxClient, 'execute'>,
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
      { deadlineMs: req.timeoutMs + RPC_SLACK_MS },
    );
    return toExecutionResult(response);
  }
}
