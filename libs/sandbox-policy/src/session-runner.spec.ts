import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PlatformErrorCode } from '@lemur/shared-errors';
import {
  BASH_SESSION_RUNNER,
  CellSentinelScanner,
  DEFAULT_SESSION_POLICY,
  PYTHON_SESSION_RUNNER,
  encodeCellFrame,
  interpretExecObservation,
  resolveIdleTimeoutMs,
  resolveSandboxLimits,
  type ExecObservation,
} from './index';

const TOKEN = 'lemur_0123456789abcdef0123456789abcdef';

function feed(scanner: CellSentinelScanner, chunks: string[]) {
  let output = '';
  let status: number | null | undefined;
  for (const c of chunks) {
    const step = scanner.push(Buffer.from(c));
    output += step.output.toString();
    if (step.done) status = step.status;
  }
  return { output, status };
}

describe('encodeCellFrame', () => {
  it('frames Python cells by byte length and bash cells by NUL', () => {
    expect(encodeCellFrame('python', TOKEN, 'é = 1').toString()).toBe(`${TOKEN} 6\né = 1`);
    expect(encodeCellFrame('bash', TOKEN, 'echo hi').toString()).toBe(`${TOKEN}\0echo hi\0`);
  });
  it('rejects a NUL in a bash cell and malformed tokens', () => {
    expect(() => encodeCellFrame('bash', TOKEN, 'a\0b')).toThrow(expect.objectContaining({ code: PlatformErrorCode.INVALID_ARGUMENT, field: 'code' }));
    expect(() => encodeCellFrame('python', 'short', '1')).toThrow(/token/);
  });
});

describe('CellSentinelScanner', () => {
  it('cuts the output at the sentinel and reads the status, whatever the chunking', () => {
    const stream = `hello\nno newline${TOKEN}:42\nlater`;
    for (let size = 1; size <= stream.length; size += 3) {
      const s = new CellSentinelScanner(true);
      s.begin(TOKEN);
      const chunks = stream.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
      expect(feed(s, chunks)).toEqual({ output: 'hello\nno newline', status: 42 });
      // Bytes after the sentinel belong to the next cell.
      expect(s.begin(TOKEN).toString()).toBe('later');
    }
  });
  it('handles a status-less sentinel (stderr) and keeps unrelated text that looks like a token prefix', () => {
    const s = new CellSentinelScanner(false);
    s.begin(TOKEN);
    expect(feed(s, ['lemur_01 is not it\n', `${TOKEN}\n`])).toEqual({ output: 'lemur_01 is not it\n', status: null });
  });
  it('returns what is held back when the stream ends without a sentinel', () => {
    const s = new CellSentinelScanner(true);
    s.begin(TOKEN);
    const { output } = feed(s, ['abc']);
    expect(output + s.flush().toString()).toBe('abc');
  });
});

const python = '/usr/bin/python3';
describe.runIf(existsSync(python))('the Python runner outside the sandbox', () => {
  it('keeps globals, shows a final expression, survives exceptions, and ends each cell with sentinels', () => {
    const frames = Buffer.concat(['x = 1', 'x + 1', '1/0', 'x;', '[x] * 2'].map((c) => encodeCellFrame('python', TOKEN, c)));
    const r = spawnSync(python, ['-I', '-c', PYTHON_SESSION_RUNNER], { input: frames, env: {} });
    expect(r.stdout.toString()).toBe(`${TOKEN}:0\n2\n${TOKEN}:0\n${TOKEN}:1\n${TOKEN}:0\n[1, 1]\n${TOKEN}:0\n`);
    expect(r.stderr.toString()).toContain('ZeroDivisionError');
    expect(r.stderr.toString()).not.toContain('_main');
    expect(r.status).toBe(0);
  });
  it('ignores SIGINT between cells and turns it into KeyboardInterrupt inside one', async () => {
    const child = spawn(python, ['-I', '-c', PYTHON_SESSION_RUNNER], { env: {}, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    child.stdin.write(encodeCellFrame('python', TOKEN, 'x = 1'));
    await until(() => out.includes(`${TOKEN}:0`));
    child.kill('SIGINT');
    child.stdin.write(encodeCellFrame('python', TOKEN, 'import time\nwhile True: time.sleep(0.01)'));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    await until(() => out.includes(`${TOKEN}:130`));
    child.stdin.end(encodeCellFrame('python', TOKEN, 'x'));
    await new Promise((r) => child.once('close', r));
    expect(out).toBe(`${TOKEN}:0\n${TOKEN}:130\n1\n${TOKEN}:0\n`);
    expect(err).toContain('KeyboardInterrupt');
  });
  it('ends the session on SystemExit with its code', () => {
    const r = spawnSync(python, ['-I', '-c', PYTHON_SESSION_RUNNER], { input: encodeCellFrame('python', TOKEN, 'raise SystemExit(3)'), env: {} });
    expect(r.status).toBe(3);
  });
});

describe.runIf(existsSync('/usr/bin/bash'))('the bash runner outside the sandbox', () => {
  it('keeps cwd and variables and reports each exit code', () => {
    const frames = Buffer.concat(['cd /; X=5', 'pwd; echo $X; (exit 4)'].map((c) => encodeCellFrame('bash', TOKEN, c)));
    const r = spawnSync('/usr/bin/bash', ['--noprofile', '--norc', '-c', BASH_SESSION_RUNNER], { input: frames, env: {} });
    expect(r.stdout.toString()).toBe(`${TOKEN}:0\n/\n5\n${TOKEN}:4\n`);
  });
});

describe('limit validation for sessions and workspaces', () => {
  it('resolves the idle timeout within the operator maximum', () => {
    expect(resolveIdleTimeoutMs(0)).toBe(DEFAULT_SESSION_POLICY.idleTimeoutMs);
    expect(resolveIdleTimeoutMs(5_000)).toBe(5_000);
    expect(() => resolveIdleTimeoutMs(DEFAULT_SESSION_POLICY.maxIdleTimeoutMs + 1)).toThrow(expect.objectContaining({ field: 'idle_timeout_ms' }));
    expect(() => resolveIdleTimeoutMs(10)).toThrow(/below the minimum/);
  });
  it('validates workspaceBytes like every limit', () => {
    expect(() => resolveSandboxLimits({ workspaceBytes: 2 ** 40 })).toThrow(expect.objectContaining({ field: 'limits.workspaceBytes' }));
  });
  it('names file size and workspace as the limit that ended a run', () => {
    const base: ExecObservation = {
      exitCode: 1,
      signal: null,
      killedFor: null,
      oomKilled: false,
      pidsLimitHit: false,
      stdout: '',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      wallMs: 1,
    };
    expect(interpretExecObservation({ ...base, exitCode: 153 }).limitHit).toBe('file_size');
    expect(interpretExecObservation({ ...base, fileSizeHit: true, cpuMs: 7 })).toMatchObject({ limitHit: 'file_size', cpuMs: 7 });
    expect(interpretExecObservation({ ...base, killedFor: 'workspace' }).limitHit).toBe('workspace');
  });
});
