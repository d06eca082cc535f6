import { create } from '@bufbuild/protobuf';
import { sandboxV1 } from '@lemur/proto';
import { describe, expect, it } from 'vitest';
import { CellAssembler, cliExitCode, execJson, execSummary, humanStdout } from './exec-output';

const response = (init: Parameters<typeof create<typeof sandboxV1.ExecuteResponseSchema>>[1]) => create(sandboxV1.ExecuteResponseSchema, init);

describe('sandbox exec output', () => {
  it('prints the JSON fields the CLI promises', () => {
    const r = response({ exitCode: 0, stdout: 'hi\n', limitHit: sandboxV1.LimitHit.NONE, wallMs: 42 });
    expect(execJson(r)).toEqual({
      exitCode: 0,
      signal: null,
      stdout: 'hi\n',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      timedOut: false,
      oomKilled: false,
      limitHit: null,
      wallMs: 42,
    });
    const killed = response({ signal: 'SIGKILL', timedOut: true, limitHit: sandboxV1.LimitHit.WALL_TIME, memoryExceeded: false, wallMs: 2000 });
    expect(execJson(killed)).toMatchObject({ exitCode: null, signal: 'SIGKILL', limitHit: 'wall_time', timedOut: true });
    expect(execSummary(killed)).toBe('killed by SIGKILL · limit hit: wall_time · 2000 ms');
    expect(cliExitCode(killed)).toBe(124);
    expect(cliExitCode(response({ exitCode: 3 }))).toBe(3);
    expect(execJson(response({ memoryExceeded: true, limitHit: sandboxV1.LimitHit.MEMORY })).oomKilled).toBe(true);
  });

  it('shows SQL results as a table and other output unchanged', () => {
    const r = response({ exitCode: 0, stdout: '{"columns":["n"],"rows":[[1]],"truncated":false}\n' });
    expect(humanStdout(r, true)).toBe('n\n-\n1\n(1 row)\n');
    expect(humanStdout(r, false)).toBe(r.stdout);
    expect(humanStdout(response({ stdout: 'not json' }), true)).toBe('not json');
  });
});

describe('CellAssembler', () => {
  it('keeps Python blocks together until an empty line', () => {
    const a = new CellAssembler('python');
    expect(a.push('x = 1')).toBe('x = 1');
    expect(a.push('for i in range(2):')).toBeNull();
    expect(a.pending).toBe(true);
    expect(a.push('    x += i')).toBeNull();
    expect(a.push('')).toBe('for i in range(2):\n    x += i');
    expect(a.pending).toBe(false);
  });

  it('continues bash lines ending in a backslash', () => {
    const a = new CellAssembler('bash');
    expect(a.push('echo a \\')).toBeNull();
    expect(a.push('b')).toBe('echo a \\\nb');
    expect(a.push('cd /tmp')).toBe('cd /tmp');
  });
});
