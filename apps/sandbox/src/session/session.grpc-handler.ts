import { create } from '@bufbuild/protobuf';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { sandboxV1 } from '@lemur/proto';
import type { SandboxLanguage } from '@lemur/sandbox-policy';
import { PlatformError } from '@lemur/shared-errors';
import { whileCallOpen } from '@lemur/shared-grpc';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { requestedLimits, toExecuteResponse } from '../execute/sandbox.grpc-handler';
import { SessionService } from './session.service';

const MAX_CELL_BYTES = 1024 * 1024;

function sessionLanguage(value: sandboxV1.Language): SandboxLanguage {
  switch (value) {
    case sandboxV1.Language.PYTHON:
      return 'python';
    case sandboxV1.Language.BASH:
      return 'bash';
    case sandboxV1.Language.UNSPECIFIED:
      throw PlatformError.invalid('language', 'is required (PYTHON or BASH)');
    default:
      throw PlatformError.invalid('language', `sessions run PYTHON or BASH, got ${sandboxV1.Language[value] ?? String(value)}`);
  }
}

function sessionId(id: string): string {
  if (id === '') throw PlatformError.invalid('session_id', 'is required (from CreateSession)');
  return id;
}

/** gRPC adapter of the session methods of lemur.sandbox.v1.SandboxService. */
@Controller()
export class SessionGrpcHandler {
  constructor(@Inject(SessionService) private readonly sessions: SessionService) {}

  @GrpcMethod('SandboxService', 'CreateSession')
  async createSession(req: sandboxV1.CreateSessionRequest) {
    const opened = await this.sessions.create({
      language: sessionLanguage(req.language),
      team: req.team,
      files: req.files.map((f) => ({ path: f.path, content: f.content })),
      limits: requestedLimits(req.limits),
      idleTimeoutMs: req.idleTimeoutMs,
    });
    return create(sandboxV1.CreateSessionResponseSchema, opened);
  }

  @GrpcMethod('SandboxService', 'RunCell')
  async runCell(req: sandboxV1.RunCellRequest, _md: unknown, call: ServerUnaryCall<unknown, unknown>) {
    if (Buffer.byteLength(req.code) > MAX_CELL_BYTES) throw PlatformError.invalid('code', `must be at most ${MAX_CELL_BYTES} bytes`);
    const id = sessionId(req.sessionId);
    // The caller giving up (deadline passed or cancelled) stops the cell, as one-shot Execute does.
    const result = await whileCallOpen(call, (signal) =>
      this.sessions.runCell(id, req.team, { code: req.code, wallMs: req.wallMs, readFiles: req.readFiles, signal }),
    );
    return create(sandboxV1.RunCellResponseSchema, { result: toExecuteResponse(result), sessionEnded: result.sessionEnded });
  }

  @GrpcMethod('SandboxService', 'WriteFiles')
  async writeFiles(req: sandboxV1.WriteFilesRequest) {
    await this.sessions.writeFiles(
      sessionId(req.sessionId),
      req.team,
      req.files.map((f) => ({ path: f.path, content: f.content })),
    );
    return create(sandboxV1.WriteFilesResponseSchema, {});
  }

  @GrpcMethod('SandboxService', 'ReadFiles')
  async readFiles(req: sandboxV1.ReadFilesRequest) {
    const files = await this.sessions.readFiles(sessionId(req.sessionId), req.team, req.paths);
    return create(sandboxV1.ReadFilesResponseSchema, { files });
  }

  @GrpcMethod('SandboxService', 'CloseSession')
  async closeSession(req: sandboxV1.CloseSessionRequest) {
    await this.sessions.close(sessionId(req.sessionId), req.team);
    return create(sandboxV1.CloseSessionResponseSchema, {});
  }
}
