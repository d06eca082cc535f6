import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_LIMITS, SANDBOX_LIMIT_NAMES, SPAWN_FIXED_LIMITS, buildSandboxCommand, spawnLimitsMatch, warmRunnerArgv, warmRunnerSource, warmStartMessage, type SandboxCommandSpec } from './index';

const spec: SandboxCommandSpec = {
  language: 'python',
  limits: DEFAULT_SANDBOX_LIMITS,
  workspaceDir: '/dev/shm/ws/run-1',
  runAsUser: 'lemur-sbx',
  privilegeDrop: 'spawn',
  seccompFd: 9,
  codeFd: 10,
  setupFds: { info: 11, block: 12 },
  cgroupProcsFiles: ['/sys/fs/cgroup/memory/g/cgroup.procs'],
  memoryCgroup: true,
  pidsCgroup: true,
};

describe('the warm (pre-started) chain', () => {
  it('binds the entry directory read-only at /sandbox instead of copying a program in, and waits on the control fd', () => {
    const cold = buildSandboxCommand(spec).args;
    const warm = buildSandboxCommand({ ...spec, warm: { entryDir: '/dev/shm/ws/entry-1', controlFd: 8 } }).args;
    expect(warm).not.toContain('--ro-bind-data');
    const i = warm.findIndex((a, k) => a === '--ro-bind' && warm[k + 1] === '/dev/shm/ws/entry-1');
    expect(warm.slice(i, i + 3)).toEqual(['--ro-bind', '/dev/shm/ws/entry-1', '/sandbox']);
    // Bound before the root is made read-only, like the program file of a cold run.
    expect(warm.indexOf('--remount-ro')).toBeGreaterThan(i);
    const tail = warm.slice(warm.lastIndexOf('--') + 1);
    expect(tail.slice(0, 3)).toEqual(['/usr/bin/python3', '-I', '-c']);
    expect(tail[3]).toContain('os.read(8, 1)');
    expect(tail[3]).toContain('"/sandbox/main.py"');
    // Everything before the interpreter (wrapper, rlimits, namespaces, seccomp) is the cold chain's, flag for flag.
    const prefix = (args: string[]) => args.slice(0, args.lastIndexOf('--')).filter((a) => !['--ro-bind-data', '10', '/sandbox/main.py', '--ro-bind', '/dev/shm/ws/entry-1', '/sandbox'].includes(a));
    expect(prefix(warm)).toEqual(prefix(cold));
  });

  it('waits in python for bash programs too, then execs bash as a cold run starts it', () => {
    const argv = warmRunnerArgv('bash', 8, '/sandbox/main.sh');
    expect(argv.slice(0, 3)).toEqual(['/usr/bin/python3', '-I', '-c']);
    expect(argv[3]).toContain('os.read(8, 1)');
    expect(argv[3]).toContain('os.execv("/usr/bin/bash", ["/usr/bin/bash", "--noprofile", "--norc", "/sandbox/main.sh"])');
  });

  it('runs the compiled runner from its bytecode file beside the program, the same source otherwise', () => {
    expect(warmRunnerArgv('python', 8, '/sandbox/main.py', true)).toEqual(['/usr/bin/python3', '-I', '/sandbox/.warm-runner.pyc']);
    expect(warmRunnerArgv('python', 8, '/sandbox/main.py')[3]).toBe(warmRunnerSource('python', 8, '/sandbox/main.py'));
    const { args } = buildSandboxCommand({ ...spec, warm: { entryDir: '/dev/shm/ws/entry-1', controlFd: 8, compiledRunner: true } });
    expect(args.slice(-3)).toEqual(['/usr/bin/python3', '-I', '/sandbox/.warm-runner.pyc']);
  });

  it('refuses bad control descriptors and entry paths that would need quoting', () => {
    expect(() => warmRunnerArgv('python', 2, '/sandbox/main.py')).toThrow(/3 to 255/);
    expect(() => warmRunnerArgv('bash', 8, '/sandbox/$(x).sh')).toThrow(/plain absolute path/);
    expect(() => buildSandboxCommand({ ...spec, isolation: 'pod', warm: { entryDir: '/e', controlFd: 8 } })).toThrow(/bwrap/);
  });

  it('starts with /dev/null or the stdin pipe', () => {
    expect(warmStartMessage(false).toString()).toBe('n\n');
    expect(warmStartMessage(true).toString()).toBe('p\n');
  });

  it('matches requests on exactly the limits fixed at spawn', () => {
    expect([...SPAWN_FIXED_LIMITS].sort()).toEqual(['cpuMs', 'fileSizeBytes', 'memoryBytes', 'processes', 'tmpBytes']);
    expect(spawnLimitsMatch(DEFAULT_SANDBOX_LIMITS, { ...DEFAULT_SANDBOX_LIMITS, wallMs: 1_000, outputBytes: 10, workspaceBytes: 1 << 20 })).toBe(true);
    for (const name of SPAWN_FIXED_LIMITS) {
      expect(spawnLimitsMatch(DEFAULT_SANDBOX_LIMITS, { ...DEFAULT_SANDBOX_LIMITS, [name]: DEFAULT_SANDBOX_LIMITS[name] - 1 })).toBe(false);
    }
    expect(SANDBOX_LIMIT_NAMES.filter((n) => !SPAWN_FIXED_LIMITS.includes(n)).sort()).toEqual(['outputBytes', 'wallMs', 'workspaceBytes']);
  });
});

interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), 'warm-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect(argv: string[], fds: { control?: Buffer; stdin?: string }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const stdio: ('pipe' | 'ignore')[] = [fds.stdin !== undefined || fds.control ? 'pipe' : 'ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore'];
    if (fds.control) stdio.push('pipe');
    // The sandbox always sets LANG=C.UTF-8; without it python would coerce the C locale and export LC_CTYPE.
    const child = spawn(argv[0] ?? '', argv.slice(1), { env: { LANG: 'C.UTF-8' }, stdio, cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    const control = (child.stdio as unknown as (Writable | null)[])[8];
    control?.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    if (fds.control) control?.end(fds.control);
    if (fds.stdin !== undefined) child.stdin?.end(fds.stdin);
    else child.stdin?.end();
  });
}

/** The program run as a cold sandbox runs it, and through the warm runner; both results. */
async function both(language: 'python' | 'bash', code: string, stdin?: string): Promise<[Ran, Ran]> {
  const path = join(dir, language === 'python' ? 'main.py' : 'main.sh');
  writeFileSync(path, code);
  const cold = language === 'python' ? ['/usr/bin/python3', '-I', path] : ['/usr/bin/bash', '--noprofile', '--norc', path];
  const warm = warmRunnerArgv(language, 8, path);
  return Promise.all([
    collect(cold, stdin !== undefined ? { stdin } : {}),
    collect(warm, { control: warmStartMessage(stdin !== undefined), ...(stdin !== undefined ? { stdin } : {}) }),
  ]);
}

describe('the warm runner runs a program exactly as a fresh interpreter does', () => {
  const programs: [string, 'python' | 'bash', string, string?][] = [
    ['output, argv, globals and modules', 'python', 'import sys\nprint(sys.argv, __name__, sorted(globals()), type(__loader__).__name__, sys.path[0])\nprint(sorted(m for m in sys.modules if not m.startswith("_")))'],
    ['an uncaught exception (traceback without the runner)', 'python', 'def f():\n    raise ValueError("boom")\nf()'],
    ['a syntax error', 'python', 'print("a"\nx = ('],
    ['sys.exit with a code and a message', 'python', 'import sys\nprint("out")\nsys.exit("bye")'],
    ['KeyboardInterrupt (death by SIGINT)', 'python', 'raise KeyboardInterrupt'],
    ['a program that replaces the excepthook and breaks imports', 'python', 'import sys, builtins\nsys.excepthook = lambda t, v, tb: print("hooked", t.__name__)\ndel builtins.__import__\nraise OSError(5)'],
    ['stdin given', 'python', 'import sys\nprint(repr(sys.stdin.read()))', 'line 1\nline 2\n'],
    ['no stdin: /dev/null', 'python', 'import os, stat, sys\nprint(stat.S_ISCHR(os.fstat(0).st_mode), repr(sys.stdin.read()))'],
    ['inspect finds the source', 'python', 'import inspect\ndef f():\n    return 1\nprint(inspect.getsource(f))'],
    ['bash: variables, exit status and stdin', 'bash', 'echo "$0 $# ${SHLVL:-unset}"; env | sort; read -r x; echo "got [$x]"; exit 7', 'hello\n'],
    ['bash without stdin', 'bash', '[ -c /dev/stdin ] && echo null-stdin; cat; echo done'],
    // Killed by SIGPIPE (141), not an EPIPE error: the signals python ignores are not ignored in the exec'd bash.
    ['bash: default SIGPIPE and SIGXFSZ', 'bash', 'yes | head -1; echo "${PIPESTATUS[@]}"; trap -p; grep -E "^Sig(Ign|Blk)" /proc/self/status'],
  ];

  it.each(programs)('%s', async (_name, language, code, stdin) => {
    const [cold, warm] = await both(language, code, stdin);
    expect(warm).toEqual(cold);
  });

  it('runs nothing when the control socket closes without a start message, or says something else', async () => {
    const path = join(dir, 'never.py');
    writeFileSync(path, 'print("RAN")');
    for (const control of [Buffer.alloc(0), Buffer.from('x\n')]) {
      const r = await collect(warmRunnerArgv('python', 8, path), { control });
      expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
      const b = await collect(warmRunnerArgv('bash', 8, path), { control });
      expect(b).toMatchObject({ status: 0, stdout: '', stderr: '' });
    }
  });
});
