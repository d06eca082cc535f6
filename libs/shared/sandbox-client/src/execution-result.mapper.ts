import type { ExecutionResult } from '@lemur/benchmarks';
import type { sandboxV1 } from '@lemur/proto';

/** The sandbox's ExecuteResponse (of Execute, or of a session's RunCell) as the benchmarks' ExecutionResult. */
export function toExecutionResult(response: sandboxV1.ExecuteResponse): ExecutionResult {
  return {
    // Unset when a signal killed the process: the scorers read that as "no exit code", not as 0.
    exitCode: response.exitCode ?? null,
    stdout: response.stdout,
    stderr: response.stderr,
    timedOut: response.timedOut,
    memoryExceeded: response.memoryExceeded,
    outputTruncated: response.stdoutTruncated || response.stderrTruncated,
    wallMs: response.wallMs,
  };
}
