import { describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_LIMITS, DEFAULT_SANDBOX_POD_TEMPLATE, buildSandboxCommand, parseScratchDirs, renderSandboxPod, type SandboxCommandSpec } from './index';

describe('parseScratchDirs (SANDBOX_SCRATCH_DIRS)', () => {
  it('reads absolute, normalised paths in order; unset or blank is none', () => {
    expect(parseScratchDirs('/testbed,/system,/backup')).toEqual(['/testbed', '/system', '/backup']);
    expect(parseScratchDirs(' /testbed , /opt/lemur-scratch ')).toEqual(['/testbed', '/opt/lemur-scratch']);
    expect(parseScratchDirs(undefined)).toEqual([]);
    expect(parseScratchDirs('  ')).toEqual([]);
  });

  it.each([
    ['relative', 'testbed', /absolute/],
    ['the root', '/', /root directory/],
    ['a dot-dot escape', '/testbed/../etc', /normalised/],
    ['a dot segment', '/./testbed', /normalised/],
    ['a doubled slash', '//testbed', /not a plain name/],
    ['a trailing slash', '/testbed/', /not a plain name/],
    ['an empty entry', '/testbed,,/system', /absolute/],
    ['a space', '/test bed', /not a plain name/],
    ['a NUL byte', '/test\0bed', /not a plain name/],
    ['a newline', '/testbed\n/x', /not a plain name/],
    ['a hidden name', '/.ssh', /not a plain name/],
    ['/proc', '/proc', /reserves/],
    ['/proc/self', '/proc/self', /reserves/],
    ['/usr', '/usr', /reserves/],
    ['/usr/bin', '/usr/bin', /reserves/],
    ['/etc', '/etc', /reserves/],
    ['/dev', '/dev/shm', /reserves/],
    ['/sys', '/sys/fs/cgroup', /reserves/],
    ['/bin', '/bin', /reserves/],
    ['/lib', '/lib', /reserves/],
    ['/lib64', '/lib64', /reserves/],
    ['/sbin', '/sbin', /reserves/],
    ['/tmp (already a tmpfs)', '/tmp', /reserves/],
    ['the workspace', '/workspace', /reserves/],
    ['under the workspace', '/workspace/x', /reserves/],
    ['the program directory', '/sandbox', /reserves/],
    ['/root', '/root', /reserves/],
    ['/var', '/var/run', /reserves/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseScratchDirs(text)).toThrow(message);
  });

  it('rejects duplicates, nested paths and too many entries', () => {
    expect(() => parseScratchDirs('/testbed,/testbed')).toThrow(/overlaps|twice/);
    expect(() => parseScratchDirs('/testbed,/testbed/sub')).toThrow(/overlaps/);
    expect(() => parseScratchDirs(Array.from({ length: 9 }, (_, i) => `/s${i}`).join(','))).toThrow(/at most 8/);
  });
});

describe('scratch directories in the sandbox', () => {
  const spec: SandboxCommandSpec = {
    language: 'bash',
    limits: DEFAULT_SANDBOX_LIMITS,
    workspaceDir: '/srv/ws/run-1',
    scratchDirs: ['/testbed', '/system'],
    runAsUser: null,
    privilegeDrop: 'setpriv',
    seccompFd: 3,
    codeFd: 4,
    setupFds: { info: 5, block: 6 },
    cgroupProcsFiles: [],
    memoryCgroup: false,
    pidsCgroup: false,
  };

  it('bwrap mounts each as a tmpfs sized like /tmp, before the root is made read-only; nothing is bound from the host', () => {
    const { args } = buildSandboxCommand(spec);
    for (const dir of ['/testbed', '/system']) {
      const at = args.indexOf(dir);
      expect(args.slice(at - 3, at + 1)).toEqual(['--size', String(DEFAULT_SANDBOX_LIMITS.tmpBytes), '--tmpfs', dir]);
      expect(at).toBeLessThan(args.indexOf('--remount-ro'));
      expect(args.filter((a) => a === dir)).toHaveLength(1);
    }
    expect(buildSandboxCommand({ ...spec, scratchDirs: [] }).args).not.toContain('/testbed');
  });

  it('a sandbox pod gets a memory-backed emptyDir at each, sized like /tmp', () => {
    const pod = renderSandboxPod({ template: DEFAULT_SANDBOX_POD_TEMPLATE, namespace: 'ns', pool: 'p', owner: null, runnerEnv: {}, scratchDirs: ['/testbed'], now: new Date(0) });
    expect(pod.spec?.containers[0]?.volumeMounts).toContainEqual({ name: 'scratch-0', mountPath: '/testbed' });
    expect(pod.spec?.volumes).toContainEqual({ name: 'scratch-0', emptyDir: { medium: 'Memory', sizeLimit: DEFAULT_SANDBOX_POD_TEMPLATE.tmpSize } });
  });
});
