import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxV1 } from '@lemur/proto';
import { type PlatformError } from '@lemur/shared-errors';
import type { SandboxClient } from '@lemur/shared-sandbox-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWorkspaceRoot } from '../src/local/run-workspace.adapter';
import { startTestSandbox, type TestSandbox } from './test-sandbox';


const { PYTHON, BASH } = sandboxV1.Language;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Host processes whose command line contains `marker`. */
/**
 * Host processes naming `marker` that descend from this test process (the service under test runs in it): other test
 * files run their own sandboxes at the same time, and those must not count.
 */
function hostProcessesWith(marker: string): number[] {
  const parentOf = new Map<number, number>();
  const matching: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      // The command name in /proc/PID/stat sits in parentheses and may hold spaces: the parent pid follows the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)) matching.push(Number(name));
    } catch {
      // exited while scanning
    }
  }
  const ours = (pid: number): boolean => {
    for (let p = parentOf.get(pid), hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf.get(p), hops++) if (p === process.pid) return true;
    return false;
  };
  return matching.filter(ours);
}

/** Host workspaces of this service's runs and sessions that hold a file named `name`. */
function workspacesWith(name: string): string[] {
  const base = join(defaultWorkspaceRoot(), `lemur-sandbox-${process.getuid?.() ?? 0}`);
  return readdirSync(base).filter((dir) => existsSync(join(base, dir, name)));
}

async function errorOf(p: Promise<unknown>): Promise<PlatformError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as PlatformError,
  );
}

describe('sandbox sessions over real gRPC on the local backend', () => {
  let sandbox: TestSandbox;
  let client: SandboxClient;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ SANDBOX_SESSION_POOL_SIZE: '1', SANDBOX_SESSIONS_PER_TEAM: '3' });
    client = sandbox.client;
  }, 30_000);

  afterAll(async () => {
    await sandbox?.close();
  });

  interface SessionOptions {
    files?: { path: string; content: Uint8Array }[];
    limits?: { outputBytes?: bigint; processes?: number; memoryBytes?: bigint; cpuMs?: number };
    idleTimeoutMs?: number;
  }
  const open = async (language: sandboxV1.Language, team: string, extra: SessionOptions = {}) =>
    (await client.createSession({ language, team, ...extra })).sessionId;
  const cell = (sessionId: string, team: string, code: string, wallMs = 0) => client.runCell({ sessionId, team, code, wallMs });

  it('keeps Python state between cells and shows a final expression like IPython', async () => {
    const id = await open(PYTHON, 'py');
    expect(id).toMatch(/^ses_[A-Za-z0-9_-]{32}$/);
    expect((await cell(id, 'py', 'x = 1')).result?.stdout).toBe('');
    const two = await cell(id, 'py', 'x + 1');
    expect(two.result).toMatchObject({ exitCode: 0, stdout: '2\n', limitHit: sandboxV1.LimitHit.NONE });
    expect(two.sessionEnded).toBe(false);
    expect((await cell(id, 'py', 'print("a")\n{"k": [x] * 3}')).result?.stdout).toBe("a\n{'k': [1, 1, 1]}\n");
    await client.closeSession({ sessionId: id, team: 'py' });
  });

  it('survives a cell that raises, and reports the traceback of the cell only', async () => {
    const id = await open(PYTHON, 'py');
    await cell(id, 'py', 'x = 41');
    const raised = await cell(id, 'py', 'def f():\n    return 1/0\nf()');
    expect(raised.result?.exitCode).toBe(1);
    expect(raised.result?.stderr).toContain('ZeroDivisionError: division by zero');
    expect(raised.result?.stderr).not.toContain('main.py');
    expect(raised.sessionEnded).toBe(false);
    const syntax = await cell(id, 'py', 'def (');
    expect(syntax.result?.stderr).toContain('SyntaxError');
    expect((await cell(id, 'py', 'x + 1')).result?.stdout).toBe('42\n');
    await client.closeSession({ sessionId: id, team: 'py' });
  });

  it('interrupts a cell past its wall time and keeps the session; a cell that ignores SIGINT ends it', async () => {
    const id = await open(PYTHON, 'py');
    await cell(id, 'py', 'x = 7');
    const loop = await cell(id, 'py', 'while True: pass', 1_000);
    expect(loop.result).toMatchObject({ timedOut: true, limitHit: sandboxV1.LimitHit.WALL_TIME });
    expect(loop.result?.stderr).toContain('KeyboardInterrupt');
    expect(loop.sessionEnded).toBe(false);
    expect((await cell(id, 'py', 'x')).result?.stdout).toBe('7\n');

    const stubborn = await cell(id, 'py', 'import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass', 1_000);
    expect(stubborn.result?.timedOut).toBe(true);
    expect(stubborn.sessionEnded).toBe(true);
    expect((await errorOf(cell(id, 'py', 'x'))).code).toBe('SESSION_NOT_FOUND');

    const fresh = await open(PYTHON, 'py');
    expect((await cell(fresh, 'py', '6 * 7')).result?.stdout).toBe('42\n');
    await client.closeSession({ sessionId: fresh, team: 'py' });
  });

  it('interrupts a cell whose caller gave up (deadline passed): counted as cancelled, its session kept', async () => {
    const metric = async (pattern: string) => {
      const text = await (await fetch(`${sandbox.app.metricsUrl}/metrics`)).text();
      return Number(new RegExp(`^${pattern} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    };
    const cancelledCells = () => metric('lemur_sandbox_runs_total\\{language="python",backend="local",mode="cell",outcome="cancelled"\\}');
    const timedOutCells = () => metric('lemur_sandbox_runs_total\\{language="python",backend="local",mode="cell",outcome="timeout"\\}');
    const [cancelledBefore, timeoutsBefore] = [await cancelledCells(), await timedOutCells()];
    const id = await open(PYTHON, 'quitter');
    await cell(id, 'quitter', 'x = 5');
    const started = Date.now();
    const gaveUp = await errorOf(client.runCell({ sessionId: id, team: 'quitter', code: 'import time\ntime.sleep(60)  # 55501', wallMs: 60_000 }, { deadlineMs: 1_000 }));
    expect(gaveUp.code).toBe('DEADLINE_EXCEEDED');
    // The sleeper is stopped within the grace period after the caller left, not after its own 60 s.
    for (let i = 0; i < 100 && (await cancelledCells()) === cancelledBefore; i++) await new Promise((r) => setTimeout(r, 100));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect([await cancelledCells(), await timedOutCells()]).toEqual([cancelledBefore + 1, timeoutsBefore]);
    expect(hostProcessesWith('55501')).toEqual([]);
    // The cell was interrupted like one past its wall time: the session and its state live on.
    expect(await metric('lemur_sandbox_sessions_closed_total\\{language="python",reason="cancelled"\\}')).toBe(0);
    expect((await cell(id, 'quitter', 'x')).result?.stdout).toBe('5\n');
    await client.closeSession({ sessionId: id, team: 'quitter' });
  });

  it('interrupts a cell past its CPU time and keeps the session', async () => {
    const caps = await client.getCapabilities({});
    if (caps.cgroup === 'none') return;
    const id = await open(PYTHON, 'py', { limits: { cpuMs: 500 } });
    const spin = await cell(id, 'py', 'while True: pass', 20_000);
    expect(spin.result).toMatchObject({ limitHit: sandboxV1.LimitHit.CPU_TIME, timedOut: false });
    expect(spin.result?.cpuMs).toBeGreaterThanOrEqual(500);
    expect(spin.sessionEnded).toBe(false);
    await client.closeSession({ sessionId: id, team: 'py' });
  });

  it('cuts a cell output at the limit with the flag set and keeps the session', async () => {
    const id = await open(PYTHON, 'py', { limits: { outputBytes: 1_000n } });
    const loud = await cell(id, 'py', 'print("x" * 100_000)');
    expect(loud.result?.stdoutTruncated).toBe(true);
    expect(loud.result?.stdout.length).toBe(1_000);
    expect(loud.result?.limitHit).toBe(sandboxV1.LimitHit.OUTPUT);
    expect((await cell(id, 'py', 'print("ok")')).result?.stdout).toBe('ok\n');
    await client.closeSession({ sessionId: id, team: 'py' });
  });

  it('keeps the bash cwd and variables between cells, with each cell exit code', async () => {
    const id = await open(BASH, 'sh');
    expect((await cell(id, 'sh', 'cd /tmp; export A=1; B=two')).result?.exitCode).toBe(0);
    const next = await cell(id, 'sh', 'pwd; echo "$A $B"; false');
    expect(next.result).toMatchObject({ stdout: '/tmp\n1 two\n', exitCode: 1 });
    const slow = await cell(id, 'sh', 'sleep 100; echo after', 1_000);
    expect(slow.result?.timedOut).toBe(true);
    expect(slow.sessionEnded).toBe(false);
    expect((await cell(id, 'sh', 'echo $A; ls /nonexistent')).result).toMatchObject({ stdout: '1\n', exitCode: 2 });
    await client.closeSession({ sessionId: id, team: 'sh' });
  });

  it('round-trips files and never follows a symlink out of the workspace', async () => {
    const id = await open(PYTHON, 'files', { files: [{ path: 'data/in.txt', content: enc('hello') }] });
    const r = await client.runCell({
      sessionId: id,
      team: 'files',
      code: 'import os\nopen("out.txt", "w").write(open("data/in.txt").read().upper())\nos.symlink("/etc/shadow", "shadow")\nos.symlink("/etc", "etc")',
      readFiles: ['out.txt'],
    });
    expect(r.result?.files.map((f) => [f.path, dec(f.content)])).toEqual([['out.txt', 'HELLO']]);
    await client.writeFiles({ sessionId: id, team: 'files', files: [{ path: 'more/new.txt', content: enc('second') }] });
    expect((await cell(id, 'files', 'open("more/new.txt").read()')).result?.stdout).toBe("'second'\n");
    const back = await client.readFiles({ sessionId: id, team: 'files', paths: ['out.txt', 'shadow', 'etc/passwd', 'missing.txt'] });
    expect(back.files.map((f) => f.path)).toEqual(['out.txt']);
    const escape = await errorOf(client.writeFiles({ sessionId: id, team: 'files', files: [{ path: 'etc/lemur-escape', content: enc('x') }] }));
    expect(escape.code).toBe('INVALID_ARGUMENT');
    expect(existsSync('/etc/lemur-escape')).toBe(false);
    expect(await errorOf(client.readFiles({ sessionId: id, team: 'files', paths: ['../x'] }))).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'paths' });
    await client.closeSession({ sessionId: id, team: 'files' });
  });

  it('hides a session from other teams', async () => {
    const id = await open(PYTHON, 'team-a');
    await cell(id, 'team-a', 'secret = 1');
    for (const call of [
      cell(id, 'team-b', 'secret'),
      client.readFiles({ sessionId: id, team: 'team-b', paths: ['x'] }),
      client.closeSession({ sessionId: id, team: 'team-b' }),
    ]) {
      expect((await errorOf(call)).code).toBe('SESSION_NOT_FOUND');
    }
    expect((await errorOf(cell('ses_guess', 'team-a', '1'))).code).toBe('SESSION_NOT_FOUND');
    expect((await cell(id, 'team-a', 'secret')).result?.stdout).toBe('1\n');
    await client.closeSession({ sessionId: id, team: 'team-a' });
  });

  it('caps open sessions per team with a clear message', async () => {
    const ids = [await open(BASH, 'capped'), await open(BASH, 'capped'), await open(BASH, 'capped')];
    const err = await errorOf(open(BASH, 'capped'));
    expect(err.code).toBe('RESOURCE_EXHAUSTED');
    expect(err.message).toContain('3 open sessions');
    const other = await open(BASH, 'not-capped');
    await client.closeSession({ sessionId: ids[0] ?? '', team: 'capped' });
    ids[0] = await open(BASH, 'capped');
    for (const id of [...ids]) await client.closeSession({ sessionId: id, team: 'capped' });
    await client.closeSession({ sessionId: other, team: 'not-capped' });
  });

  it('closes a session after its idle timeout', async () => {
    const id = await open(PYTHON, 'idle', { idleTimeoutMs: 1_000 });
    await cell(id, 'idle', 'x = 1');
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await errorOf(cell(id, 'idle', 'x'))).code).toBe('SESSION_NOT_FOUND');
    expect((await errorOf(open(PYTHON, 'idle', { idleTimeoutMs: 999_999_999 }))).field).toBe('idle_timeout_ms');
  });

  it('kills every process of a session and deletes its workspace when it closes', async () => {
    const id = await open(BASH, 'kill');
    await cell(id, 'kill', 'touch closing-marker; (sleep 987651 &) ; nohup sleep 987652 >/dev/null 2>&1 & setsid sleep 987653 &');
    await new Promise((r) => setTimeout(r, 300));
    expect(hostProcessesWith('sleep 98765').length).toBe(3);
    expect(workspacesWith('closing-marker')).toHaveLength(1);
    await client.closeSession({ sessionId: id, team: 'kill' });
    expect(hostProcessesWith('sleep 98765')).toEqual([]);
    expect(workspacesWith('closing-marker')).toEqual([]);
    expect((await errorOf(cell(id, 'kill', 'true'))).code).toBe('SESSION_NOT_FOUND');
  });

  it('contains a fork bomb inside one session while other sessions keep working', async () => {
    // Every bash session shows as three host processes (bwrap, its init, bash) naming /sandbox/main.sh; wait for the
    // warm pool's bash so the count before is stable.
    for (let i = 0; i < 100 && hostProcessesWith('/sandbox/main.sh').length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    const before = hostProcessesWith('/sandbox/main.sh').length;
    const bomb = await open(BASH, 'bomb', { limits: { processes: 32 } });
    const calm = await open(PYTHON, 'calm');
    const r = await cell(bomb, 'bomb', 'bomb() { bomb | bomb & }; bomb; sleep 2; echo done', 5_000);
    expect(hostProcessesWith('/sandbox/main.sh').length).toBeGreaterThan(before + 10);
    expect([sandboxV1.LimitHit.PROCESSES, sandboxV1.LimitHit.WALL_TIME]).toContain(r.result?.limitHit);
    expect((await cell(calm, 'calm', 'sum(range(10))')).result?.stdout).toBe('45\n');
    await client.closeSession({ sessionId: bomb, team: 'bomb' });
    expect(hostProcessesWith('/sandbox/main.sh').length).toBe(before);
    expect((await cell(calm, 'calm', '1 + 1')).result?.stdout).toBe('2\n');
    await client.closeSession({ sessionId: calm, team: 'calm' });
  });

  it('ends a session whose interpreter outgrows its memory limit, and says so', async () => {
    const id = await open(PYTHON, 'mem', { limits: { memoryBytes: 128n * 1024n * 1024n } });
    // Filled bytes touch their pages, so the cgroup (128 MiB) fires long before the address-space rlimit would.
    const r = await cell(id, 'mem', 'chunks = []\nwhile True:\n    chunks.append(b"x" * (8 * 1024 * 1024))', 10_000);
    expect(r.sessionEnded).toBe(true);
    expect(r.result).toMatchObject({ memoryExceeded: true, limitHit: sandboxV1.LimitHit.MEMORY });
    expect((await errorOf(cell(id, 'mem', '1'))).code).toBe('SESSION_NOT_FOUND');
    const other = await open(PYTHON, 'mem');
    expect((await cell(other, 'mem', '2 ** 10')).result?.stdout).toBe('1024\n');
    await client.closeSession({ sessionId: other, team: 'mem' });
  });

  it('exports run, session and pool metrics', async () => {
    const text = await (await fetch(`${sandbox.app.metricsUrl}/metrics`)).text();
    expect(text).toMatch(/lemur_sandbox_runs_total\{language="python",backend="local",mode="cell",outcome="timeout"\} [1-9]/);
    expect(text).toMatch(/lemur_sandbox_runs_total\{language="python",backend="local",mode="cell",outcome="error"\} [1-9]/);
    expect(text).toMatch(/lemur_sandbox_session_start_seconds_count\{language="python",source="pool"\} [1-9]/);
    expect(text).toMatch(/lemur_sandbox_sessions_open\{language="python"\} \d/);
    expect(text).toMatch(/lemur_sandbox_pool_ready\{language="bash"\} \d/);
    expect(text).toMatch(/lemur_sandbox_sessions_closed_total\{language="python",reason="idle"\} [1-9]/);
  });

  it('rejects limits above the operator maxima, naming the field', async () => {
    const err = await errorOf(open(PYTHON, 'bad', { limits: { memoryBytes: 1n << 40n } }));
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'limits.memoryBytes' });
    expect((await errorOf(open(sandboxV1.Language.SQL, 'bad'))).field).toBe('language');
  });
});
