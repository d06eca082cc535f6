import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { sandboxV1 } from '@lemur/proto';
import type { CallOptions } from '@lemur/shared-grpc';
import { describe, expect, it } from 'vitest';
import type { SandboxClient } from './sandbox-client';
import { SandboxExecutor } from './sandbox-executor';

type ExecuteCall = { request: MessageInitShape<typeof sandboxV1.ExecuteRequestSchema>; options: CallOptions | undefined };

/** An Execute that records its calls and answers each with `response`. */
function recordingClient(response: MessageInitShape<typeof sandboxV1.ExecuteResponseSchema>): { client: Pick<SandboxClient, 'execute'>; calls: ExecuteCall[] } {
  const calls: ExecuteCall[] = [];
  const client: Pick<SandboxClient, 'execute'> = {
    execute: async (request, options) => {
      calls.push({ request, options });
      return create(sandboxV1.ExecuteResponseSchema, response);
    },
  };
  return { client, calls };
}

describe('SandboxExecutor', () => {
  it('sends each program with its language, wall limit and team, and a SQL program with its MySQL database', async () => {
    const { client, calls } = recordingClient({ exitCode: 0, stdout: '{}\n', wallMs: 3 });
    const executor = new SandboxExecutor(client, 'team-a');
    await executor.execute({ language: 'python', code: 'print(1)', timeoutMs: 1000 });
    await executor.execute({ language: 'bash', code: 'ls', timeoutMs: 2000 });
    await executor.execute({ language: 'sql', code: 'SHOW TABLES', timeoutMs: 1000, database: { kind: 'mysql', name: 'poker_player', maxRows: 500 } });
    await executor.execute({ language: 'sql', code: 'SELECT 1', timeoutMs: 1000, database: { kind: 'mysql', name: 'concert_singer' } });

    expect(calls.map((c) => c.request.language)).toEqual([sandboxV1.Language.PYTHON, sandboxV1.Language.BASH, sandboxV1.Language.SQL, sandboxV1.Language.SQL]);
    expect(calls[1]?.request).toMatchObject({ code: 'ls', team: 'team-a', limits: { wallMs: 2000 } });
    expect(calls[0]?.request).not.toHaveProperty('database');
    expect(calls[2]?.request).toMatchObject({ team: 'team-a', database: { source: { case: 'mysqlDatabase', value: 'poker_player' }, maxRows: 500 } });
    // No row cap given: 0 asks for the sandbox's own default.
    expect(calls[3]?.request.database).toEqual({ source: { case: 'mysqlDatabase', value: 'concert_singer' }, maxRows: 0 });
    // The RPC outlives the program's own limit, so a timeout comes back as a result rather than a deadline error.
    expect(calls.map((c) => c.options?.deadlineMs)).toEqual([31_000, 32_000, 31_000, 31_000]);
  });

  it('maps the response to an ExecutionResult: a killed process has no exit code, either stream truncated marks the output', async () => {
    const finished = await new SandboxExecutor(recordingClient({ exitCode: 2, stdout: 'out', stderr: 'err', wallMs: 7 }).client, 't').execute({ language: 'python', code: '', timeoutMs: 10 });
    expect(finished).toEqual({ exitCode: 2, stdout: 'out', stderr: 'err', timedOut: false, memoryExceeded: false, outputTruncated: false, wallMs: 7 });

    const killed = await new SandboxExecutor(
      recordingClient({ signal: 'SIGKILL', timedOut: true, memoryExceeded: true, stderrTruncated: true, wallMs: 10 }).client,
      't',
    ).execute({ language: 'python', code: '', timeoutMs: 10 });
    expect(killed).toEqual({ exitCode: null, stdout: '', stderr: '', timedOut: true, memoryExceeded: true, outputTruncated: true, wallMs: 10 });
  });
});
