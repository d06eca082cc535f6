import { create } from '@bufbuild/protobuf';
import { sandboxV1 } from '@lemur/proto';
import { describe, expect, it } from 'vitest';
import { SandboxSessionClient } from './sandbox-session-client';

type SessionRpc = ConstructorParameters<typeof SandboxSessionClient>[0];

describe('SandboxSessionClient', () => {
  it('creates Python sessions by default and bash sessions on request', async () => {
    const languages: unknown[] = [];
    const rpc: SessionRpc = {
      createSession: async (req) => {
        languages.push(req.language);
        return create(sandboxV1.CreateSessionResponseSchema, { sessionId: `s${languages.length}` });
      },
      runCell: async () => create(sandboxV1.RunCellResponseSchema),
      closeSession: async () => create(sandboxV1.CloseSessionResponseSchema),
    };
    const sessions = new SandboxSessionClient(rpc, 'team-a');
    expect(await sessions.create({ cellWallMs: 1000, cellCpuMs: 1000 })).toBe('s1');
    expect(await sessions.create({ cellWallMs: 1000, cellCpuMs: 1000, language: 'bash' })).toBe('s2');
    expect(languages).toEqual([sandboxV1.Language.PYTHON, sandboxV1.Language.BASH]);
  });

  it("asks for the cell's CPU limit as well as its wall limit, so the sandbox's one-shot CPU default does not apply", async () => {
    const limits: unknown[] = [];
    const rpc: SessionRpc = {
      createSession: async (req) => {
        limits.push(req.limits);
        return create(sandboxV1.CreateSessionResponseSchema, { sessionId: 's1' });
      },
      runCell: async () => create(sandboxV1.RunCellResponseSchema),
      closeSession: async () => create(sandboxV1.CloseSessionResponseSchema),
    };
    await new SandboxSessionClient(rpc, 'team-a').create({ cellWallMs: 30_000, cellCpuMs: 25_000 });
    expect(limits).toEqual([{ wallMs: 30_000, cpuMs: 25_000 }]);
  });

  it("returns a cell's result as an ExecutionResult, and an unset result as an empty one without an exit code", async () => {
    const responses = [
      create(sandboxV1.RunCellResponseSchema, { result: { exitCode: 0, stdout: '42\n', stdoutTruncated: true, wallMs: 5 }, sessionEnded: false }),
      create(sandboxV1.RunCellResponseSchema, { sessionEnded: true }),
    ];
    const rpc: SessionRpc = {
      createSession: async () => create(sandboxV1.CreateSessionResponseSchema),
      runCell: async () => responses.shift() ?? create(sandboxV1.RunCellResponseSchema),
      closeSession: async () => create(sandboxV1.CloseSessionResponseSchema),
    };
    const sessions = new SandboxSessionClient(rpc, 'team-a');
    expect(await sessions.runCell('s1', 'print(42)', { wallMs: 1000 })).toEqual({
      result: { exitCode: 0, stdout: '42\n', stderr: '', timedOut: false, memoryExceeded: false, outputTruncated: true, wallMs: 5 },
      sessionEnded: false,
    });
    expect(await sessions.runCell('s1', 'exit()', { wallMs: 1000 })).toEqual({
      result: { exitCode: null, stdout: '', stderr: '', timedOut: false, memoryExceeded: false, outputTruncated: false, wallMs: 0 },
      sessionEnded: true,
    });
  });
});
