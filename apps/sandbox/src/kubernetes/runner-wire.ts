import type { MessageInitShape } from '@bufbuild/protobuf';
import { sandboxV1 } from '@lemur/proto';
import type { ExecResult, SandboxLimitHit, SandboxLimits } from '@lemur/sandbox-policy';

/** The wire form of limits the service already resolved, so the runner applies exactly them. */
export function wireLimits(l: SandboxLimits): MessageInitShape<typeof sandboxV1.LimitsSchema> {
  return {
    wallMs: l.wallMs,
    cpuMs: l.cpuMs,
    memoryBytes: BigInt(l.memoryBytes),
    processes: l.processes,
    outputBytes: BigInt(l.outputBytes),
    fileSizeBytes: BigInt(l.fileSizeBytes),
    workspaceBytes: BigInt(l.workspaceBytes),
  };
}

function limitHitOf(hit: sandboxV1.LimitHit): SandboxLimitHit | null {
  switch (hit) {
    case sandboxV1.LimitHit.WALL_TIME:
      return 'wall_time';
    case sandboxV1.LimitHit.CPU_TIME:
      return 'cpu_time';
    case sandboxV1.LimitHit.MEMORY:
      return 'memory';
    case sandboxV1.LimitHit.OUTPUT:
      return 'output';
    case sandboxV1.LimitHit.PROCESSES:
      return 'processes';
    case sandboxV1.LimitHit.FILE_SIZE:
      return 'file_size';
    case sandboxV1.LimitHit.WORKSPACE:
      return 'workspace';
    case sandboxV1.LimitHit.ROWS:
      return 'rows';
    default:
      return null;
  }
}

/** A runner's answer as the result the service reports (the inverse of toExecuteResponse). */
export function fromExecuteResponse(r: sandboxV1.ExecuteResponse): ExecResult {
  return {
    exitCode: r.exitCode ?? null,
    signal: r.signal === '' ? null : r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    stdoutTruncated: r.stdoutTruncated,
    stderrTruncated: r.stderrTruncated,
    timedOut: r.timedOut,
    memoryExceeded: r.memoryExceeded,
    limitHit: limitHitOf(r.limitHit),
    wallMs: r.wallMs,
    cpuMs: r.cpuMs,
    files: r.files.map((f) => ({ path: f.path, content: f.content })),
  };
}

/** The wire language of a program the pod runs. */
export function wireLanguage(language: 'python' | 'bash'): sandboxV1.Language {
  return language === 'python' ? sandboxV1.Language.PYTHON : sandboxV1.Language.BASH;
}
