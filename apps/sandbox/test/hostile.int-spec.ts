import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxV1 } from '@lemur/proto';
import { type PlatformError } from '@lemur/shared-errors';
import type { SandboxClient } from '@lemur/shared-sandbox-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from './test-sandbox';

/**
 * The hostile-input conformance suite (issue 5, shared/research/sandbox.md §4): every case goes through the real gRPC
 * service on the local backend, must end with the result its row expects, and is followed by an ordinary run that must
 * be unaffected. The backend's own tests (src/local) cover the same chain one layer down.
 *
 * The suite runs twice: on cold sandboxes (the warm pool off), and on pre-started ones, where each case gets a service
 * whose default limits are the case's own, so that its run (and the ordinary run after it, which shared the pool with
 * it) is served by the warm pool; the metrics prove that it was.
 */

type Request = Parameters<SandboxClient['execute']>[0];
type Response = sandboxV1.ExecuteResponse;

const { LimitHit } = sandboxV1;
const PY = sandboxV1.Language.PYTHON;
const BASH = sandboxV1.Language.BASH;
const SECRET = `lemur-hostile-${randomBytes(8).toString('hex')}`;
const MARKER = `${800 + Math.floor(Math.random() * 99)}.${randomBytes(3).readUIntBE(0, 3)}`;
const REPO_ROOT = join(__dirname, '..', '..', '..');
const MiB = 1024 * 1024;

beforeAll(() => {
  // A secret in the service's own environment: nothing in the sandbox may see it.
  process.env['LEMUR_HOSTILE_SECRET'] = SECRET;
});

afterAll(() => {
  delete process.env['LEMUR_HOSTILE_SECRET'];
});

/** Runs of one language by where their sandbox came from (`pool` or `cold`), from the service's metrics. */
async function startsBySource(sandbox: TestSandbox, language: 'python' | 'bash', source: 'pool' | 'cold'): Promise<number> {
  const text = await (await fetch(`${sandbox.app.metricsUrl}/metrics`)).text();
  const m = new RegExp(`^lemur_sandbox_exec_start_seconds_count\\{language="${language}",source="${source}"\\} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

/** A request's limits as operator defaults (SANDBOX_LIMIT_DEFAULTS). */
function limitsAsDefaults(limits: Request['limits']): string {
  return JSON.stringify(Object.fromEntries(Object.entries(limits ?? {}).filter(([k]) => k !== '$typeName').map(([k, v]) => [k, Number(v)])));
}

/** Host processes whose command line contains `marker`. */
function hostProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)) found.push(Number(name));
    } catch {
      // exited while scanning
    }
  }
  return found;
}

const lines = (...l: string[]) => l.join('\n');
const endedBadly = (r: Response) => r.exitCode !== 0;

interface HostileCase {
  name: string;
  request: Request;
  /** What a correct sandbox returns (a rejected request is a clear result too: `rejected` holds the error code). */
  expect: (r: Response) => void;
  rejected?: string;
  /** Checks on the host after the run. */
  after?: () => Promise<void>;
}

const cases: HostileCase[] = [
  {
    name: 'python fork bomb',
    request: { language: PY, code: lines('import os', 'while True:', '    try:', '        os.fork()', '    except OSError:', '        pass'), limits: { processes: 32, wallMs: 3_000 } },
    expect: (r) => {
      expect(endedBadly(r)).toBe(true);
      expect([LimitHit.WALL_TIME, LimitHit.PROCESSES]).toContain(r.limitHit);
    },
  },
  {
    name: 'bash fork bomb',
    // Each `:` backgrounds its pipeline and returns at once, so `wait` alone could end the run before the bomb reaches
    // the limit on a slow machine; the sleep gives it two seconds (it forks too, and may itself be refused and retried).
    request: { language: BASH, code: ':(){ :|:& };:\nsleep 2\nwait', limits: { processes: 32, wallMs: 4_000 } },
    expect: (r) => expect([LimitHit.PROCESSES, LimitHit.WALL_TIME]).toContain(r.limitHit),
  },
  {
    name: 'memory bomb',
    request: { language: PY, code: lines('x = []', 'while True:', '    x.append(bytearray(8 << 20))'), limits: { memoryBytes: BigInt(128 * MiB), wallMs: 10_000 } },
    expect: (r) => {
      expect(endedBadly(r)).toBe(true);
      expect(r.timedOut).toBe(false);
      expect(r.memoryExceeded || r.stderr.includes('MemoryError')).toBe(true);
    },
  },
  {
    name: 'CPU spin',
    request: { language: PY, code: 'while True:\n    pass', limits: { cpuMs: 1_000, wallMs: 20_000 } },
    expect: (r) => expect(r).toMatchObject({ limitHit: LimitHit.CPU_TIME, timedOut: false }),
  },
  {
    name: 'sleep forever',
    request: { language: PY, code: 'import time\ntime.sleep(3600)', limits: { wallMs: 1_000 } },
    expect: (r) => expect(r).toMatchObject({ timedOut: true, limitHit: LimitHit.WALL_TIME }),
  },
  {
    name: 'sleep children that try to outlive the run',
    request: {
      language: BASH,
      code: lines(
        `setsid sleep ${MARKER} </dev/null >/dev/null 2>&1 &`,
        `( setsid sleep ${MARKER} & ) </dev/null >/dev/null 2>&1`,
        `nohup sleep ${MARKER} >/dev/null 2>&1 &`,
        `disown -a; trap '' HUP; echo started`,
      ),
    },
    expect: (r) => expect(r).toMatchObject({ exitCode: 0, stdout: 'started\n' }),
    after: async () => {
      // The pid namespace dies with its init; give the kernel a moment to reap the last ones.
      let left = hostProcessesWith(`sleep ${MARKER}`);
      for (let i = 0; i < 30 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        left = hostProcessesWith(`sleep ${MARKER}`);
      }
      expect(left).toEqual([]);
    },
  },
  {
    name: '1 GB of output',
    request: { language: PY, code: lines('import sys', 'chunk = b"x" * (1 << 20)', 'for _ in range(1024):', '    sys.stdout.buffer.write(chunk)'), limits: { outputBytes: BigInt(MiB) } },
    expect: (r) => {
      expect(r).toMatchObject({ limitHit: LimitHit.OUTPUT, stdoutTruncated: true });
      expect(r.stdout.length).toBe(MiB);
    },
  },
  {
    name: 'output after closing stdout, then spinning',
    request: { language: PY, code: lines('import os, sys', 'os.close(1)', 'os.close(2)', 'while True:', '    pass'), limits: { wallMs: 1_500, cpuMs: 10_000 } },
    expect: (r) => expect(r).toMatchObject({ timedOut: true, limitHit: LimitHit.WALL_TIME }),
  },
  {
    name: 'blocking on input',
    request: { language: PY, code: 'x = input()\nprint("got", x)', limits: { wallMs: 5_000 } },
    expect: (r) => {
      expect(r.timedOut).toBe(false);
      expect(r.stderr).toContain('EOFError');
    },
  },
  {
    name: 'filling the disk',
    request: {
      language: PY,
      code: lines(
        'import errno',
        'out = []',
        'for target in ["/workspace", "/tmp", "/dev/shm"]:',
        '    written = 0',
        '    try:',
        '        for i in range(4096):',
        '            with open(f"{target}/fill-{i}", "wb") as f:',
        '                for _ in range(16):',
        '                    f.write(b"\\0" * (1 << 20))',
        '                    written += 1',
        '    except OSError as e:',
        '        out.append(f"{target} {errno.errorcode.get(e.errno, e.errno)} after {written} MiB")',
        'print("\\n".join(out))',
      ),
      limits: { memoryBytes: BigInt(256 * MiB), fileSizeBytes: BigInt(8 * MiB), wallMs: 20_000 },
    },
    expect: (r) => {
      // Either the program saw the limit as an error (EFBIG/ENOSPC/EDQUOT) or the sandbox stopped it and said which limit.
      const stoppedBySandbox = [LimitHit.FILE_SIZE, LimitHit.WORKSPACE, LimitHit.MEMORY].includes(r.limitHit) || r.signal === 'SIGXFSZ';
      expect(stoppedBySandbox || /EFBIG|ENOSPC|EDQUOT/.test(r.stdout)).toBe(true);
      expect(r.timedOut).toBe(false);
    },
  },
  {
    name: 'sockets to the platform services on loopback (and ::1), and DNS',
    request: {
      language: PY,
      code: lines(
        'import errno, socket, sys',
        'names = [n for _, n in socket.if_nameindex()]',
        // Only ever aim at loopback, and only once the namespace provably has nothing but lo.
        'if names != ["lo"]:',
        '    print("ifaces", names); sys.exit(9)',
        'for family, host, port in [(socket.AF_INET, "127.0.0.1", 5432), (socket.AF_INET, "127.0.0.1", 3306), (socket.AF_INET, "127.0.0.1", 6379), (socket.AF_INET6, "::1", 5432)]:',
        '    s = socket.socket(family)',
        '    s.settimeout(2)',
        '    try:',
        '        s.connect((host, port)); print(host, port, "CONNECTED")',
        '    except OSError as e:',
        '        print(host, port, "refused" if e.errno in (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EADDRNOTAVAIL) else e)',
        '    finally:',
        '        s.close()',
        'try:',
        '    socket.getaddrinfo("example.com", 80); print("dns RESOLVED")',
        'except OSError:',
        '    print("dns failed")',
      ),
      limits: { wallMs: 10_000 },
    },
    expect: (r) => expect(r.stdout).toBe('127.0.0.1 5432 refused\n127.0.0.1 3306 refused\n127.0.0.1 6379 refused\n::1 5432 refused\ndns failed\n'),
  },
  {
    name: 'reading /etc/shadow, /root and host-only /proc files',
    request: {
      language: PY,
      code: lines(
        'import errno, os',
        'for p in ["/etc/shadow", "/root", "/proc/sysrq-trigger", "/proc/kcore"]:',
        '    try:',
        '        data = os.listdir(p) if os.path.isdir(p) else open(p, "rb").read(16)',
        '        print(p, "READ")',
        '    except OSError as e:',
        '        print(p, errno.errorcode[e.errno])',
      ),
    },
    expect: (r) => {
      expect(r.stdout).not.toContain('READ');
      expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(4);
    },
  },
  {
    name: "the service's environment, through every /proc/*/environ and cmdline",
    request: {
      language: PY,
      code: lines(
        'import os',
        'print(sorted(os.environ))',
        'for pid in os.listdir("/proc"):',
        '    if pid.isdigit():',
        '        for f in ("environ", "cmdline"):',
        '            try:',
        '                print(pid, f, open(f"/proc/{pid}/{f}", "rb").read().decode(errors="replace"))',
        '            except OSError as e:',
        '                print(pid, f, "unreadable", e.errno)',
        `for p in ["/proc/${process.pid}/environ"]:`,
        '    try:',
        '        print(open(p, "rb").read().decode(errors="replace"))',
        '    except OSError as e:',
        '        print(p, "unreadable", e.errno)',
      ),
    },
    expect: (r) => {
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('1 environ');
      expect(r.stdout).not.toContain(SECRET);
      expect(r.stdout).not.toContain('LEMUR_HOSTILE_SECRET');
      // Not even where the service runs from (the wrapper shell used to export it as PWD to bwrap's PID 1).
      expect(r.stdout).not.toContain(`PWD=${REPO_ROOT}`);
      expect(r.stdout.split('\n')[0]).toBe("['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']");
    },
  },
  {
    name: "the service's files (the repository and its .lemur state)",
    request: {
      language: BASH,
      code: lines(
        `for p in "${REPO_ROOT}/.lemur" "${REPO_ROOT}/package.json" "${REPO_ROOT}" /work /home /var/lib/mysql /var/lib/postgresql /dev/shm/lemur-sandbox-0; do`,
        '  if ls "$p" >/dev/null 2>&1 || cat "$p" >/dev/null 2>&1; then echo "$p VISIBLE"; else echo "$p hidden"; fi',
        'done',
        'ls /',
      ),
    },
    expect: (r) => {
      expect(r.stdout).not.toContain('VISIBLE');
      expect(r.stdout).toContain(`${REPO_ROOT}/.lemur hidden`);
    },
  },
  {
    name: 'writing outside the workspace',
    request: {
      language: PY,
      code: lines(
        'import errno',
        'for p in ["/usr/bin/python3", "/x", "/usr/lib/evil", "/etc/passwd", "/workspace/../usr/evil", "/proc/sys/kernel/hostname", "/sys/kernel/evil"]:',
        '    try:',
        '        open(p, "ab").write(b"pwned")',
        '        print(p, "WRITTEN")',
        '    except OSError as e:',
        '        print(p, errno.errorcode[e.errno])',
        'open("/workspace/ok.txt", "w").write("fine")',
      ),
    },
    expect: (r) => {
      expect(r.exitCode).toBe(0);
      expect(r.stdout).not.toContain('WRITTEN');
    },
  },
  {
    name: 'ptrace, unshare, mount, setns and kernel keyrings',
    request: {
      language: PY,
      code: lines(
        'import ctypes, errno',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'def show(name, rc):',
        '    print(name, rc, errno.errorcode.get(ctypes.get_errno(), "ok"))',
        'show("unshare-user", libc.unshare(0x10000000))',
        'show("unshare-mount", libc.unshare(0x00020000))',
        'show("ptrace", libc.ptrace(16, 1, 0, 0))',
        'show("mount", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))',
        'show("setns", libc.setns(0, 0))',
        'show("keyctl", libc.syscall(250, 0, 0, 0, 0))',
      ),
    },
    expect: (r) => {
      for (const line of r.stdout.trim().split('\n')) expect(line).toMatch(/ -1 (EPERM|EBADF|EINVAL|ENOSYS)$/);
      expect(r.stdout).toMatch(/^unshare-user -1 EPERM\nunshare-mount -1 EPERM\nptrace -1 EPERM\nmount -1 EPERM\n/);
    },
  },
  {
    name: 'setuid binaries',
    request: {
      language: BASH,
      code: lines(
        'for b in /usr/bin/su /usr/bin/sudo /usr/bin/passwd /usr/bin/newgrp /usr/bin/chfn /usr/bin/mount /usr/bin/pkexec; do',
        '  [ -x "$b" ] && "$b" root -c "id -u" </dev/null >/dev/null 2>&1',
        'done',
        'grep -E "^(Uid|CapEff|NoNewPrivs)" /proc/self/status',
      ),
    },
    expect: (r) => {
      expect(r.stdout).not.toMatch(/^Uid:\s+0\b/m);
      expect(r.stdout).toMatch(/^CapEff:\s+0000000000000000$/m);
      expect(r.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    },
  },
  {
    name: 'killing its parent, pid 1 and every process it can see',
    request: { language: BASH, code: 'kill -9 $PPID 2>/dev/null; kill -9 1 2>/dev/null; kill -9 -1 2>/dev/null; echo still-here', limits: { wallMs: 5_000 } },
    expect: (r) => expect(r.timedOut).toBe(false),
  },
  {
    name: 'a Python that deletes os and breaks its own imports',
    request: {
      language: PY,
      code: lines('import os, sys, builtins', 'del os', 'sys.modules["os"] = None', 'del builtins.__import__', 'print("done")', 'import json'),
    },
    expect: (r) => {
      expect(r.stdout).toBe('done\n');
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/ImportError|KeyError/);
    },
  },
  {
    name: 'non-UTF-8 output',
    request: { language: PY, code: 'import sys\nsys.stdout.buffer.write(b"\\xff\\xfe\\x80ok\\xc3\\n")\nsys.stderr.buffer.write(b"\\x80err\\n")' },
    expect: (r) => {
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('ok');
      expect(r.stdout).toContain('\uFFFD');
      expect(r.stderr).toContain('err');
    },
  },
  {
    name: 'a 10 MB program as the code field',
    request: { language: PY, code: `${'# padding\n'.repeat(1024 * 1024)}print("big")\n` },
    rejected: 'INVALID_ARGUMENT',
    expect: () => undefined,
  },
  {
    name: 'a 10 MB program as a workspace file',
    request: {
      language: PY,
      code: 'exec(compile(open("big.py").read(), "big.py", "exec"))',
      files: [{ path: 'big.py', content: new TextEncoder().encode(`${'# padding\n'.repeat(1024 * 1024)}print("big ok")\n`) }],
      limits: { wallMs: 20_000 },
    },
    expect: (r) => expect(r).toMatchObject({ exitCode: 0, stdout: 'big ok\n' }),
  },
  {
    name: 'symlinks to host files read back after the run',
    request: {
      language: BASH,
      code: `ln -s /etc/shadow shadow; ln -s /proc/${process.pid}/environ env; ln -s /etc/hostname host; echo plain >plain; echo linked`,
      readFiles: ['shadow', 'env', 'host', 'plain'],
    },
    expect: (r) => {
      expect(r.stdout).toBe('linked\n');
      // Reading back works for the regular file, so the links were really examined and refused.
      expect(r.files.filter((f) => f.path === 'plain').map((f) => new TextDecoder().decode(f.content))).toEqual(['plain\n']);
      const text = r.files.map((f) => new TextDecoder().decode(f.content)).join('\n');
      expect(text).not.toContain(SECRET);
      expect(text).not.toMatch(/^root:/m);
      expect(text).not.toContain(readFileSync('/etc/hostname', 'utf8').trim() || '\0');
    },
  },
];

/** Runs one case and the ordinary run after it; the checks of the case's row. */
async function runCase(client: SandboxClient, c: HostileCase, request: Request): Promise<void> {
  const started = Date.now();
  const outcome = await client.execute(request).then(
    (r) => ({ r }),
    (e: unknown) => ({ e: e as PlatformError }),
  );
  if (c.rejected !== undefined) {
    expect('e' in outcome ? outcome.e.code : 'ran').toBe(c.rejected);
  } else {
    if ('e' in outcome) throw outcome.e;
    c.expect(outcome.r);
  }
  expect(Date.now() - started).toBeLessThan(30_000);
  await c.after?.();
  const next = await client.execute({ language: PY, code: 'print(6 * 7)' });
  expect(next).toMatchObject({ exitCode: 0, stdout: '42\n', stderr: '', limitHit: LimitHit.NONE });
}

describe('hostile programs through the sandbox service, on cold sandboxes', () => {
  let sandbox: TestSandbox;
  let client: SandboxClient;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ SANDBOX_MAX_CONCURRENT: '2', SANDBOX_EXEC_POOL_SIZE: '0' }, 60_000);
    client = sandbox.client;
  }, 60_000);

  afterAll(async () => {
    await sandbox?.close();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await runCase(client, c, c.request);
    expect(await startsBySource(sandbox, 'python', 'pool')).toBe(0);
  });

  it('is still healthy after all of them', async () => {
    const caps = await client.getCapabilities({});
    expect(caps.backend).toBe('local');
    const runs = await Promise.all([1, 2, 3, 4].map((n) => client.execute({ language: BASH, code: `echo ${n}` })));
    expect(runs.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n']);
  });
});

describe('hostile programs through the sandbox service, on pre-started sandboxes', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // The case's limits become the operator defaults, so the pool holds sandboxes started with exactly them.
    const sandbox = await startTestSandbox(
      {
        SANDBOX_MAX_CONCURRENT: '2',
        SANDBOX_EXEC_POOL_SIZE: '2',
        SANDBOX_SESSION_POOL_SIZE: '0',
        SANDBOX_LIMIT_DEFAULTS: limitsAsDefaults(c.request.limits),
      },
      60_000,
    );
    try {
      await sandbox.app.execPoolFull();
      const { limits: _limits, ...request } = c.request;
      await runCase(sandbox.client, c, request);
      const language = c.request.language === BASH ? 'bash' : 'python';
      const ran = c.rejected === undefined ? 1 : 0;
      // The case and the ordinary run after it both ran in sandboxes that were waiting in the pool.
      expect(await startsBySource(sandbox, language, 'cold')).toBe(0);
      expect(await startsBySource(sandbox, 'python', 'cold')).toBe(0);
      expect(await startsBySource(sandbox, language, 'pool')).toBe(language === 'python' ? ran + 1 : ran);
      expect(await startsBySource(sandbox, 'python', 'pool')).toBe(language === 'python' ? ran + 1 : 1);
    } finally {
      await sandbox.close();
    }
  });
});
