import { sandboxV1 } from '@lemur/proto';
import { describe, expect, it } from 'vitest';
import { SandboxExecutor } from './sandbox-executor';
import { SandboxSessionClient } from './sandbox-session-client';

type ExecuteRequest = Parameters<ConstructorParameters<typeof SandboxExecutor>[0]['execute']>[0];

describe('SandboxExecutor and SandboxSessionClient', () => {
  it('sends Python, bash and SQL programs with their language, and a SQL program with its MySQL database', async () => {
    const sent: ExecuteRequest[] = [];
    const client = {
      execute: async (req: ExecuteRequest) => {
        sent.push(req);
        return { exitCode: 0, stdout: '{}\n', stderr: '', timedOut: false, memoryExceeded: false, stdoutTruncated: false, stderrTruncated: false, wallMs: 3 };
      },
    } as unknown as ConstructorParameters<typeof SandboxExecutor>[0];
    const executor = new SandboxExecutor(client, 'team-a');
    await executor.execute({ language: 'python', code: 'print(1)', timeoutMs: 1000 });
    await executor.execute({ language: 'bash', code: 'ls', timeoutMs: 1000 });
    const r = await executor.execute({ language: 'sql', code: 'SHOW TABLES', timeoutMs: 1000, database: { kind: 'mysql', name: 'poker_player', maxRows: 500 } });
    expect(sent.map((s) => s.language)).toEqual([sandboxV1.Language.PYTHON, sandboxV1.Language.BASH, sandboxV1.Language.SQL]);
    expect(sent[0]).not.toHaveProperty('database');
    expect(sent[2]).toMatchObject({ team: 'team-a', database: { source: { case: 'mysqlDatabase', value: 'poker_player' }, maxRows: 500 } });
    expect(r).toMatchObject({ exitCode: 0, stdout: '{}\n', wallMs: 3 });
  });

  it('creates Python sessions by default and bash sessions on request', async () => {
    const languages: unknown[] = [];
    const rpc = {
      createSession: async (req: { language: unknown }) => {
        languages.push(req.language);
        return { sessionId: `s${languages.length}` };
      },
      runCell: async () => ({ sessionEnded: false }),
      closeSession: async () => ({}),
    } as unknown as ConstructorParameters<typeof SandboxSessionClient>[0];
    const sessions = new SandboxSessionClient(rpc, 'team-a');
    expect(await sessions.create({ cellWallMs: 1000 })).toBe('s1');
    expect(await sessions.create({ cellWallMs: 1000, language: 'bash' })).toBe('s2');
    expect(languages).toEqual([sandboxV1.Language.PYTHON, sandboxV1.Language.BASH]);
  });
});
