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
  setupFds: { info: 11, block: 12 },
  cgroupProcsFiles: ['/sys/fs/cgroup/memory/g/cgroup.procs', '/sys/fs/cgroup/pids/g/cgroup.procs'],
  memoryCgroup: true,
  pidsCgroup: true,
};

describe('buildSandboxCommand', () => {
  it('builds setpriv → bwrap → python, with cgroups and rlimits handed to the launcher while bwrap holds the sandbox', () => {
    const { file, args, setup } = buildSandboxCommand(spec);
    expect(file).toBe('/usr/bin/setpriv');
    expect(args.slice(0, 5)).toEqual(['--reuid=lemur-sbx', '--regid=lemur-sbx', '--clear-groups', '--no-new-privs', '/usr/bin/bwrap']);
    expect(args.slice(-4)).toEqual(['--', '/usr/bin/python3', '-I', '/sandbox/main.py']);
    for (const flag of ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv']) {
      expect(args).toContain(flag);
    }
    // bwrap reports its sandbox on the info descriptor and holds it on the block descriptor, after the seccomp option.
    const end = args.lastIndexOf('--');
    expect(args.slice(end - 4, end)).toEqual(['--info-fd', '11', '--block-fd', '12']);
    expect(setup).toEqual({
      infoFd: 11,
      blockFd: 12,
      cgroupProcsFiles: spec.cgroupProcsFiles,
      rlimits: [
        { resource: 'as', soft: 2 * DEFAULT_SANDBOX_LIMITS.memoryBytes + 256 * 1024 * 1024, hard: 2 * DEFAULT_SANDBOX_LIMITS.memoryBytes + 256 * 1024 * 1024 },
        { resource: 'cpu', soft: 3, hard: 4 },
        { resource: 'fsize', soft: DEFAULT_SANDBOX_LIMITS.fileSizeBytes, hard: DEFAULT_SANDBOX_LIMITS.fileSizeBytes },
        { resource: 'nofile', soft: 256, hard: 256 },
        { resource: 'core', soft: 0, hard: 0 },
      ],
    });
  });

  it('starts bwrap itself when the spawn drops privileges', () => {
    const { file, args } = buildSandboxCommand({ ...spec, privilegeDrop: 'spawn' });
    expect(file).toBe('/usr/bin/bwrap');
    expect(args).not.toContain('/usr/bin/setpriv');
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
    const rlimit = (s: SandboxCommandSpec, resource: string) => buildSandboxCommand(s).setup?.rlimits.find((r) => r.resource === resource);
    const bare = { ...spec, runAsUser: null, cgroupProcsFiles: [], memoryCgroup: false, pidsCgroup: false, seccompFd: null };
    const { file, args, setup } = buildSandboxCommand(bare);
    expect(file).toBe('/usr/bin/bwrap');
    expect(args).not.toContain('--seccomp');
    expect(setup?.cgroupProcsFiles).toEqual([]);
    expect(rlimit(bare, 'as')).toEqual({ resource: 'as', soft: DEFAULT_SANDBOX_LIMITS.memoryBytes, hard: DEFAULT_SANDBOX_LIMITS.memoryBytes });
    expect(rlimit(bare, 'nproc')).toBeUndefined();
    // A dedicated user without a pids cgroup gets the coarse per-uid process bound.
    const dedicated = { ...spec, cgroupProcsFiles: [], memoryCgroup: false, pidsCgroup: false };
    expect(rlimit(dedicated, 'nproc')).toEqual({ resource: 'nproc', soft: DEFAULT_SANDBOX_LIMITS.processes * 16, hard: DEFAULT_SANDBOX_LIMITS.processes * 16 });
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
