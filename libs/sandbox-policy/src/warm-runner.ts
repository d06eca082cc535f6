import type { SandboxLanguage } from './sandbox-command';
import { type SandboxLimitName, type SandboxLimits } from './sandbox-limits';

/**
 * Limits fixed when a sandbox chain starts (rlimits of the wrapper, tmpfs sizes, cgroup limits): a pre-started
 * sandbox serves only requests that ask for exactly these. Wall time, output and workspace size are enforced by the
 * service per run, from the moment the program is delivered.
 */
export const SPAWN_FIXED_LIMITS: readonly SandboxLimitName[] = Object.freeze(['cpuMs', 'memoryBytes', 'processes', 'fileSizeBytes', 'tmpBytes']);

/** Whether a sandbox started with `started` limits enforces exactly `wanted` (every spawn-fixed limit equal). */
export function spawnLimitsMatch(started: SandboxLimits, wanted: SandboxLimits): boolean {
  return SPAWN_FIXED_LIMITS.every((name) => started[name] === wanted[name]);
}

/**
 * A warm runner writes `r` on its control descriptor once it is up, then waits there for this start message, sent once
 * the program is in place: `n` gives the program /dev/null as stdin (as a cold run without stdin gets), `p` keeps the
 * stdin pipe. It answers `s` and closes the descriptor just before the program starts, so a runner that died while
 * it waited is told apart from a program that ran. Any other message, or EOF (the pool closing it), makes the runner
 * exit without running anything.
 */
export function warmStartMessage(stdinPipe: boolean): Buffer {
  return Buffer.from(stdinPipe ? 'p\n' : 'n\n', 'ascii');
}

// Waits for the start message, dates the sandbox's directories from now (a cold sandbox's are as old as its run:
// `ls -l`, `find -newer` and the like must not show the wait), acknowledges, closes the control descriptor and gives
// the program /dev/null as stdin when it has none. Uses only what the interpreter loaded at start-up.
function waitForStart(controlFd: number): string[] {
  return [
    'import os, sys, _signal',
    `os.write(${controlFd}, b"r")`,
    'msg = b""',
    'while not msg.endswith(b"\\n"):',
    `    b = os.read(${controlFd}, 1)`,
    '    if not b:',
    '        os._exit(0)',
    '    msg += b',
    'if msg not in (b"n\\n", b"p\\n"):',
    '    os._exit(0)',
    'for d in ("/workspace", "/tmp", "/dev/shm"):',
    '    try:',
    '        os.utime(d)',
    '    except OSError:',
    '        pass',
    `os.write(${controlFd}, b"s")`,
    `os.close(${controlFd})`,
    'if msg == b"n\\n":',
    '    null = os.open("/dev/null", os.O_RDONLY)',
    '    os.dup2(null, 0)',
    '    os.close(null)',
  ];
}

// Runs the program as `python3 -I /sandbox/main.py` would, in this already started interpreter: a fresh __main__
// with the script's globals, argv, loader, traceback without this frame, exit status 1 on an uncaught exception and
// death by SIGINT on KeyboardInterrupt. Only modules loaded at start-up are used, so the program finds sys.modules as
// a fresh interpreter leaves it.
function pythonWarmRunner(controlFd: number, path: string): string {
  return [
    ...waitForStart(controlFd),
    `path = ${JSON.stringify(path)}`,
    'sys.argv[:] = [path]',
    'main = type(sys)("__main__")',
    'main.__file__ = path',
    'main.__cached__ = None',
    'main.__annotations__ = {}',
    'main.__builtins__ = __builtins__',
    'main.__loader__ = sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", path)',
    'sys.modules["__main__"] = main',
    'try:',
    '    with open(path, "rb") as f:',
    '        code = compile(f.read(), path, "exec")',
    '    exec(code, main.__dict__)',
    'except SystemExit:',
    '    raise',
    'except BaseException as e:',
    // The default hook prints the exception's own traceback, so this frame is cut from it, not only from the argument.
    '    e = e.with_traceback(e.__traceback__.tb_next if e.__traceback__ is not None else None)',
    '    hook = getattr(sys, "excepthook", sys.__excepthook__)',
    '    hook(type(e), e, e.__traceback__)',
    '    if isinstance(e, KeyboardInterrupt):',
    '        for s in (sys.stdout, sys.stderr):',
    '            try:',
    '                s.flush()',
    '            except Exception:',
    '                pass',
    '        _signal.signal(_signal.SIGINT, _signal.SIG_DFL)',
    '        os.kill(os.getpid(), _signal.SIGINT)',
    '    raise SystemExit(1)',
  ].join('\n');
}

// The same waiter, then exec of bash as a cold run starts it: same pid, no extra process, no variable of its own
// (a shell waiter would export SHLVL or _, or fork for the directory dates). Python ignores SIGPIPE and SIGXFSZ, and
// ignored signals survive exec: both go back to the default first, as bwrap leaves them for a cold bash.
function bashWarmRunner(controlFd: number, path: string): string {
  return [
    ...waitForStart(controlFd),
    '_signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)',
    '_signal.signal(_signal.SIGXFSZ, _signal.SIG_DFL)',
    `os.execv("/usr/bin/bash", ["/usr/bin/bash", "--noprofile", "--norc", ${JSON.stringify(path)}])`,
  ].join('\n');
}

/** File name of a compiled warm runner in the entry directory (the service deletes it once the runner is up). */
export const WARM_RUNNER_FILE = '.warm-runner.pyc';

/** The Python source of a pre-started runner: waits for the start message on `controlFd`, then runs `entryPath`. */
export function warmRunnerSource(language: SandboxLanguage, controlFd: number, entryPath: string): string {
  if (!Number.isSafeInteger(controlFd) || controlFd < 3 || controlFd > 255) throw new Error('the control descriptor must be an integer from 3 to 255');
  if (!/^\/[A-Za-z0-9_./-]+$/.test(entryPath)) throw new Error('the entry path must be a plain absolute path');
  return language === 'python' ? pythonWarmRunner(controlFd, entryPath) : bashWarmRunner(controlFd, entryPath);
}

/**
 * The argv, inside the sandbox, of a pre-started runner: a python interpreter that waits for the
 * start message on `controlFd` and then runs the program at `entryPath` (sandboxEntryPath) exactly as a cold run would.
 * With `compiled`, the runner is the bytecode of warmRunnerSource at WARM_RUNNER_FILE beside the program, so the
 * interpreter does not compile it (compiling it cost about 2 ms and 100 page faults per sandbox, more than a cold run
 * spends on its whole program); otherwise it is passed as source with -c.
 */
export function warmRunnerArgv(language: SandboxLanguage, controlFd: number, entryPath: string, compiled = false): string[] {
  const source = warmRunnerSource(language, controlFd, entryPath);
  if (compiled) return ['/usr/bin/python3', '-I', `${entryPath.slice(0, entryPath.lastIndexOf('/'))}/${WARM_RUNNER_FILE}`];
  return ['/usr/bin/python3', '-I', '-c', source];
}
