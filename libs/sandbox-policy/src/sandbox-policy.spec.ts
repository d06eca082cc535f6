import { describe, expect, it } from 'vitest';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import {
  DEFAULT_SANDBOX_LIMITS,
  MAX_SANDBOX_LIMITS,
  buildSandboxCommand,
  interpretExecObservation,
  resolveSandboxLimits,
  validateSandboxPolicy,
  workspacePathSegments,
  type ExecObservation,
  type SandboxCommandSpec,
} from './index';

function errorOf(fn: () => unknown): PlatformError {
  try {
    fn();
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('expected an error');
}

describe('resolveSandboxLimits', () => {
  it('fills defaults and keeps requested values', () => {
    expect(resolveSandboxLimits(undefined)).toEqual(DEFAULT_SANDBOX_LIMITS);
    expect(resolveSandboxLimits({ wallMs: 2_000 })).toEqual({ ...DEFAULT_SANDBOX_LIMITS, wallMs: 2_000 });
  });

  it('rejects a value above the maximum, naming the limit', () => {
    const err = errorOf(() => resolveSandboxLimits({ memoryBytes: MAX_SANDBOX_LIMITS.memoryBytes + 1 }));
    expect(err).toBeInstanceOf(PlatformError);
    expect(err.code).toBe(PlatformErrorCode.INVALID_ARGUMENT);
    expect(err.field).toBe('limits.memoryBytes');
    expect(err.message).toContain('operator maximum');
  });

  it('rejects non-integers, values below the floor and unknown limits', () => {
    expect(errorOf(() => resolveSandboxLimits({ cpuMs: 1.5 })).field).toBe('limits.cpuMs');
    expect(errorOf(() => resolveSandboxLimits({ processes: 0 })).message).toContain('below the minimum');
    expect(errorOf(() => resolveSandboxLimits({ diskBytes: 1 } as never)).field).toBe('limits.diskBytes');
  });

  it('uses an operator policy', () => {
    const policy = validateSandboxPolicy({ defaults: { ...DEFAULT_SANDBOX_LIMITS, wallMs: 500 }, maxima: { ...MAX_SANDBOX_LIMITS, wallMs: 1_000 } });
    expect(resolveSandboxLimits({}, policy).wallMs).toBe(500);
    expect(errorOf(() => resolveSandboxLimits({ wallMs: 1_001 }, policy)).field).toBe('limits.wallMs');
    expect(errorOf(() => validateSandboxPolicy({ ...policy, defaults: { ...policy.defaults, wallMs: 2_000 } })).field).toBe('defaults.wallMs');
  });
});

describe('workspacePathSegments', () => {
  it('normalises relative paths', () => {
    expect(workspacePathSegments('a/./b//c.txt')).toEqual(['a', 'b', 'c.txt']);
  });
  it.each(['/etc/passwd', '../x', 'a/../../x', '', 'a\0b', '.'])('rejects %j', (p) => {
    expect(errorOf(() => workspacePathSegments(p)).code).toBe(PlatformErrorCode.INVALID_ARGUMENT);
  });
});

const spec: SandboxCommandSpec = {
  language: 'python',
  limits: { ...DEFAULT_SANDBOX_LIMITS, cpuMs: 2_500, tmpBytes: 1 << 20 },
  workspaceDir: '/dev/shm/ws/run-1',
  runAsUser: 'lemur-sbx',
  privilegeDrop: 'setpriv',
  seccompFd: 9,
  codeFd: 10,
  cgroupProcsFiles: ['/sys/fs/cgroup/memory/g/cgroup.procs', '/sys/fs/cgroup/pids/g/cgroup.procs'],
  memoryCgroup: true,
  pidsCgroup: true,
};

describe('buildSandboxCommand', () => {
  it('builds sh(join cgroups, ulimits) → setpriv → bwrap → python', () => {
    const { file, args } = buildSandboxCommand(spec);
    expect(file).toBe('/bin/sh');
    const sep = args.indexOf('--');
    expect(args.slice(3, sep)).toEqual(spec.cgroupProcsFiles);
    const script = args[1] ?? '';
    expect(script).toContain('ulimit -t 4 && ulimit -S -t 3');
    expect(script).toContain(`ulimit -f ${DEFAULT_SANDBOX_LIMITS.fileSizeBytes / 512}`);
    expect(script).toContain('ulimit -c 0');
    expect(script).not.toContain('ulimit -p');
    expect(script).not.toContain('cgroup.procs'); // paths are arguments, never part of the script
    const chain = args.slice(sep + 1);
    expect(chain.slice(0, 6)).toEqual(['/usr/bin/setpriv', '--reuid=lemur-sbx', '--regid=lemur-sbx', '--clear-groups', '--no-new-privs', '/usr/bin/bwrap']);
    expect(chain.slice(-4)).toEqual(['--', '/usr/bin/python3', '-I', '/sandbox/main.py']);
    for (const flag of ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv']) {
      expect(chain).toContain(flag);
    }
  });

  it('leaves setpriv out when the spawn itself drops privileges', () => {
    const { args } = buildSandboxCommand({ ...spec, privilegeDrop: 'spawn' });
    expect(args[args.indexOf('--') + 1]).toBe('/usr/bin/bwrap');
  });

  it('puts --size before each --tmpfs and makes the root read-only after every mount', () => {
    const { args } = buildSandboxCommand(spec);
    for (const dir of ['/tmp', '/dev/shm']) {
      const i = args.findIndex((a, k) => a === '--tmpfs' && args[k + 1] === dir);
      expect(args.slice(i - 2, i)).toEqual(['--size', String(1 << 20)]);
    }
    const ro = args.indexOf('--remount-ro');
    expect(args[ro + 1]).toBe('/');
    expect(ro).toBeGreaterThan(args.indexOf('--bind'));
    expect(ro).toBeGreaterThan(args.indexOf('--ro-bind-data'));
    expect(args.slice(args.indexOf('--bind'), args.indexOf('--bind') + 3)).toEqual(['--bind', '/dev/shm/ws/run-1', '/workspace']);
    expect(args.slice(args.indexOf('--seccomp'), args.indexOf('--seccomp') + 2)).toEqual(['--seccomp', '9']);
  });

  it('runs under the caller uid without setpriv or cgroups, and falls back to RLIMIT_AS = memory', () => {
    const { args } = buildSandboxCommand({ ...spec, runAsUser: null, cgroupProcsFiles: [], memoryCgroup: false, pidsCgroup: false, seccompFd: null });
    expect(args.slice(3, 5)).toEqual(['--', '/usr/bin/bwrap']);
    expect(args[1]).toContain(`ulimit -v ${DEFAULT_SANDBOX_LIMITS.memoryBytes / 1024}`);
    expect(args[1]).not.toContain('ulimit -p');
    expect(args).not.toContain('--seccomp');
    const dedicated = buildSandboxCommand({ ...spec, cgroupProcsFiles: [], memoryCgroup: false, pidsCgroup: false });
    expect(dedicated.args[1]).toContain(`ulimit -p ${DEFAULT_SANDBOX_LIMITS.processes * 16}`);
  });

  it('uses bash for bash programs', () => {
    expect(buildSandboxCommand({ ...spec, language: 'bash' }).args.slice(-4)).toEqual(['/usr/bin/bash', '--noprofile', '--norc', '/sandbox/main.sh']);
  });
});

describe('interpretExecObservation', () => {
  const base: ExecObservation = {
    exitCode: 0,
    signal: null,
    killedFor: null,
    oomKilled: false,
    pidsLimitHit: false,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    wallMs: 5,
  };

  it('reports a clean exit', () => {
    expect(interpretExecObservation(base)).toMatchObject({ exitCode: 0, signal: null, limitHit: null, timedOut: false, memoryExceeded: false });
  });
  it('names the signal behind 128+n', () => {
    expect(interpretExecObservation({ ...base, exitCode: 139 }).signal).toBe('SIGSEGV');
    expect(interpretExecObservation({ ...base, exitCode: 152 }).limitHit).toBe('cpu_time');
  });
  it('prefers the backend kill, then OOM, then processes', () => {
    expect(interpretExecObservation({ ...base, exitCode: null, signal: 'SIGKILL', killedFor: 'wall_time', pidsLimitHit: true })).toMatchObject({
      limitHit: 'wall_time',
      timedOut: true,
    });
    expect(interpretExecObservation({ ...base, exitCode: 137, oomKilled: true })).toMatchObject({ limitHit: 'memory', memoryExceeded: true });
    expect(interpretExecObservation({ ...base, exitCode: 1, pidsLimitHit: true }).limitHit).toBe('processes');
    expect(interpretExecObservation({ ...base, killedFor: 'output', stdoutTruncated: true }).limitHit).toBe('output');
  });
});
