import { create } from '@bufbuild/protobuf';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { sandboxV1 } from '@lemur/proto';
import type { SandboxLimitHit, SandboxLimits } from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode, assertUnreachable } from '@lemur/shared-errors';
import { callAbortSignal } from '@lemur/shared-grpc';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { LocalSandboxBackend, type ExecRequest } from '../local';
import { ExecuteService } from './execute.service';

const MAX_CODE_BYTES = 1024 * 1024;

function language(value: sandboxV1.Language): ExecRequest['language'] {
  switch (value) {
    case sandboxV1.Language.PYTHON:
      return 'python';
    case sandboxV1.Language.BASH:
      return 'bash';
    case sandboxV1.Language.UNSPECIFIED:
      throw PlatformError.invalid('language', 'is required (PYTHON or BASH)');
    default:
      throw PlatformError.invalid('language', `unknown language ${String(value)}`);
  }
}

function limitHit(hit: SandboxLimitHit | null): sandboxV1.LimitHit {
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
    default:
      return assertUnreachable(hit);
  }
}

/** Only the limits the caller set (0 = operator default); the backend validates them against the operator's maxima. */
function requestedLimits(l: sandboxV1.Limits | undefined): Partial<SandboxLimits> {
  if (!l) return {};
  const out: Partial<SandboxLimits> = {};
  if (l.wallMs) out.wallMs = l.wallMs;
  if (l.cpuMs) out.cpuMs = l.cpuMs;
  if (l.memoryBytes) out.memoryBytes = Number(l.memoryBytes);
  if (l.processes) out.processes = l.processes;
  if (l.outputBytes) out.outputBytes = Number(l.outputBytes);
  if (l.fileSizeBytes) out.fileSizeBytes = Number(l.fileSizeBytes);
  return out;
}

/** gRPC adapter of lemur.sandbox.v1.SandboxService. */
@Controller()
export class SandboxGrpcHandler {
  constructor(
    @Inject(ExecuteService) private readonly executeService: ExecuteService,
    @Inject(LocalSandboxBackend) private readonly backend: LocalSandboxBackend,
  ) {}

  @GrpcMethod('SandboxService', 'Execute')
  async execute(req: sandboxV1.ExecuteRequest, _md: unknown, call: ServerUnaryCall<unknown, unknown>) {
    if (Buffer.byteLength(req.code) > MAX_CODE_BYTES) throw PlatformError.invalid('code', `must be at most ${MAX_CODE_BYTES} bytes`);
    const result = await this.executeService.execute(
      {
        language: language(req.language),
        code: req.code,
        ...(req.stdin ? { stdin: req.stdin } : {}),
        ...(req.files.length ? { files: req.files.map((f) => ({ path: f.path, content: f.content })) } : {}),
        limits: requestedLimits(req.limits),
      },
      callAbortSignal(call),
    );
    if (!result) throw new PlatformError(PlatformErrorCode.CANCELLED, 'cancelled before it started');
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
    });
  }

  @GrpcMethod('SandboxService', 'GetCapabilities')
  getCapabilities() {
    const caps = this.backend.capabilities();
    return create(sandboxV1.GetCapabilitiesResponseSchema, {
      backend: 'local',
      cgroup: caps.cgroup,
      seccomp: caps.seccomp,
      user: caps.user ?? '',
      isolation: `bubblewrap ${caps.bwrapVersion}`,
    });
  }
}
