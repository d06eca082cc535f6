import { create } from '@bufbuild/protobuf';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { sandboxV1 } from '@lemur/proto';
import type { ExecResult, SandboxLimitHit, SandboxLimits } from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode, assertUnreachable } from '@lemur/shared-errors';
import { whileCallOpen } from '@lemur/shared-grpc';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { ExecRequest } from '../local';
import { sqlRunRequest } from '../sql';
import { ExecuteService } from './execute.service';
import { EXEC_BACKEND, type ExecBackend } from './sandbox-backend';

const MAX_CODE_BYTES = 1024 * 1024;

function language(value: sandboxV1.Language): ExecRequest['language'] {
  switch (value) {
    case sandboxV1.Language.PYTHON:
      return 'python';
    case sandboxV1.Language.BASH:
      return 'bash';
    case sandboxV1.Language.UNSPECIFIED:
      throw PlatformError.invalid('language', 'is required (PYTHON, BASH or SQL)');
    default:
      throw PlatformError.invalid('language', `unknown language ${String(value)}`);
  }
}

/** The wire value of the limit that ended a run. */
export function limitHit(hit: SandboxLimitHit | null): sandboxV1.LimitHit {
  if (hit === null) return sandboxV1.LimitHit.NONE;
  switch (hit) {
    case 'wall_time':
      return sandboxV1.LimitHit.WALL_TIME;
    case 'cpu_time':
      return sandboxV1.LimitHit.CPU_TIME;
    case 'memory':
      return sandboxV1.LimitHit.MEMORY;
    case 'output':
      return sandboxV1.LimitHit.OUTPUT;
    case 'processes':
      return sandboxV1.LimitHit.PROCESSES;
    case 'rows':
      return sandboxV1.LimitHit.ROWS;
    case 'file_size':
      return sandboxV1.LimitHit.FILE_SIZE;
    case 'workspace':
      return sandboxV1.LimitHit.WORKSPACE;
    default:
      return assertUnreachable(hit);
  }
}

/** Only the limits the caller set (0 = operator default); the backend validates them against the operator's maxima. */
export function requestedLimits(l: sandboxV1.Limits | undefined): Partial<SandboxLimits> {
  if (!l) return {};
  const out: Partial<SandboxLimits> = {};
  if (l.wallMs) out.wallMs = l.wallMs;
  if (l.cpuMs) out.cpuMs = l.cpuMs;
  if (l.memoryBytes) out.memoryBytes = Number(l.memoryBytes);
  if (l.processes) out.processes = l.processes;
  if (l.outputBytes) out.outputBytes = Number(l.outputBytes);
  if (l.fileSizeBytes) out.fileSizeBytes = Number(l.fileSizeBytes);
  if (l.workspaceBytes) out.workspaceBytes = Number(l.workspaceBytes);
  return out;
}

/** The wire form of a run's result (shared by Execute and RunCell). */
export function toExecuteResponse(result: ExecResult): sandboxV1.ExecuteResponse {
  return create(sandboxV1.ExecuteResponseSchema, {
    ...(result.exitCode !== null ? { exitCode: result.exitCode } : {}),
    signal: result.signal ?? '',
    stdout: result.stdout,
    stderr: result.stderr,
    stdoutTruncated: result.stdoutTruncated,
    stderrTruncated: result.stderrTruncated,
    timedOut: result.timedOut,
    memoryExceeded: result.memoryExceeded,
    limitHit: limitHit(result.limitHit),
    wallMs: Math.round(result.wallMs),
    cpuMs: Math.round(result.cpuMs),
    files: (result.files ?? []).map((f) => ({ path: f.path, content: f.content })),
  });
}

/** gRPC adapter of lemur.sandbox.v1.SandboxService. */
@Controller()
export class SandboxGrpcHandler {
  constructor(
    @Inject(ExecuteService) private readonly executeService: ExecuteService,
    @Inject(EXEC_BACKEND) private readonly backend: ExecBackend,
  ) {}

  @GrpcMethod('SandboxService', 'Execute')
  async execute(req: sandboxV1.ExecuteRequest, _md: unknown, call: ServerUnaryCall<unknown, unknown>) {
    if (Buffer.byteLength(req.code) > MAX_CODE_BYTES) throw PlatformError.invalid('code', `must be at most ${MAX_CODE_BYTES} bytes`);
    const request =
      req.language === sandboxV1.Language.SQL
        ? sqlRunRequest(req, requestedLimits(req.limits))
        : {
            language: language(req.language),
            code: req.code,
            ...(req.stdin ? { stdin: req.stdin } : {}),
            ...(req.files.length ? { files: req.files.map((f) => ({ path: f.path, content: f.content })) } : {}),
            limits: requestedLimits(req.limits),
            ...(req.readFiles.length ? { readFiles: req.readFiles } : {}),
            ...(req.team ? { team: req.team } : {}),
          };
    const result = await whileCallOpen(call, (signal) => this.executeService.execute(request, signal));
    if (!result) throw new PlatformError(PlatformErrorCode.CANCELLED, 'cancelled before it started');
    return toExecuteResponse(result);
  }

  @GrpcMethod('SandboxService', 'GetCapabilities')
  async getCapabilities() {
    return create(sandboxV1.GetCapabilitiesResponseSchema, { ...this.backend.describe(), mysqlDatabases: await this.executeService.mysqlDatabases() });
  }
}
