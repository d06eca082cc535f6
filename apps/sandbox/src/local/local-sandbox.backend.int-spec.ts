import { readdirSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { LocalSandboxBackend } from './local-sandbox.backend';
import { defaultWorkspaceRoot } from './run-workspace.adapter';

let backend: LocalSandboxBackend;

beforeAll(async () => {
  try {
    backend = await LocalSandboxBackend.detect({ logger: pino({ level: 'warn' }) });
  } catch (err) {
    throw new Error(`local sandbox not set up (run: sudo bash scripts/setup-sandbox.sh): ${(err as Error).message}`);
  }
});

afterAll(async () => {
  await backend?.dispose();
});

const py = (code: string, limits?: Parameters<LocalSandboxBackend['execute']>[0]['limits']) =>
  backend.execute({ language: 'python', code, ...(limits ? { limits } : {}) });

/** Host processes whose command line contains `marker`. */
function hostProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(marker)) found.push(Number(name));
    } catch {
      // exited while scanning
    }
  }
  return found;
}

function uidOf(pid: number): number | null {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

describe('LocalSandboxBackend basics', () => {
  it('reports what the host enforces', () => {
    const caps = backend.capabilities();
    expect(caps.bwrapVersion).toMatch(/^\d+\.\d+/);
    expect(caps.seccomp).toBe(true);
    if (process.getuid?.() === 0) expect(caps.user).toBe('lemur-sbx');
    expect(['v1', 'v2', 'none']).toContain(caps.cgroup);
  });

  it('runs hello world and reports exit codes', async () => {
    const ok = await py('print("hello world")');
    expect(ok).toMatchObject({ exitCode: 0, stdout: 'hello world\n', stderr: '', timedOut: false, limitHit: null });
    const three = await py('import sys\nsys.exit(3)');
    expect(three.exitCode).toBe(3);
    const raised = await py('raise ValueError("boom")');
    expect(raised.exitCode).toBe(1);
    expect(raised.stderr).toContain('ValueError: boom');
  });

  it('keeps stdout and stderr apart', async () => {
    const r = await py('import sys\nprint("to-out")\nprint("to-err", file=sys.stderr)\nprint("out-2")');
    expect(r.stdout).toBe('to-out\nout-2\n');
    expect(r.stderr).toBe('to-err\n');
  });

  it('runs bash', async () => {
    const r = await backend.execute({ language: 'bash', code: 'echo $((6*7)); echo err >&2; exit 7' });
    expect(r).toMatchObject({ exitCode: 7, stdout: '42\n', stderr: 'err\n' });
  });

  it('gives EOF on stdin by default and passes stdin when given', async () => {
    const eof = await py('import sys\nprint(repr(sys.stdin.read()))');
    expect(eof.stdout).toBe("''\n");
    const fed = await backend.execute({ language: 'python', code: 'print(input()[::-1])', stdin: 'abc\n' });
    expect(fed.stdout).toBe('cba\n');
  });

  it('places request files in the workspace', async () => {
    const r = await backend.execute({
      language: 'python',
      code: 'import os\nprint(os.getcwd(), open("data/in.txt").read())',
      files: [{ path: 'data/in.txt', content: 'payload' }],
    });
    expect(r.stdout).toBe('/workspace payload\n');
  });

  it('rejects limits above the operator maximum, naming the limit', async () => {
    const err = await backend.execute({ language: 'python', code: 'pass', limits: { wallMs: 10_000_000 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).code).toBe(PlatformErrorCode.INVALID_ARGUMENT);
    expect((err as PlatformError).message).toContain('wallMs');
  });

  it('rejects file paths that leave the workspace', async () => {
    const err = await backend
      .execute({ language: 'python', code: 'pass', files: [{ path: '../escape.txt', content: 'x' }] })
      .catch((e: unknown) => e);
    expect((err as PlatformError).code).toBe(PlatformErrorCode.INVALID_ARGUMENT);
  });
});

describe('LocalSandboxBackend against hostile programs', () => {
  it('bounds and kills a fork bomb', async () => {
    const r = await py('import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass', {
      processes: 32,
      wallMs: 2_000,
    });
    expect(r.timedOut || r.limitHit === 'processes').toBe(true);
    expect(r.exitCode).not.toBe(0);
    // The run is over: nothing of it may be left (checked again by the orphan test below with a marker).
    const after = await py('print("alive")');
    expect(after.stdout).toBe('alive\n');
  });

  it('bounds a memory bomb (OOM kill or MemoryError)', async () => {
    const r = await py('x = []\nwhile True:\n    x.append(bytearray(8 << 20))', { memoryBytes: 128 << 20, wallMs: 10_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.timedOut).toBe(false);
    expect(r.memoryExceeded || r.stderr.includes('MemoryError')).toBe(true);
    if (backend.capabilities().cgroup !== 'none') expect(r.limitHit === 'memory' || r.stderr.includes('MemoryError')).toBe(true);
  });

  it('stops a single huge allocation with MemoryError', async () => {
    const r = await py('x = bytearray(8 << 30)', { memoryBytes: 128 << 20 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('MemoryError');
  });

  it('kills an infinite loop at the wall-clock limit', async () => {
    const r = await py('while True:\n    pass', { wallMs: 1_500, cpuMs: 60_000 });
    expect(r).toMatchObject({ timedOut: true, limitHit: 'wall_time', exitCode: null, signal: 'SIGKILL' });
    expect(r.wallMs).toBeGreaterThanOrEqual(1_500);
  });

  it('kills a CPU hog at the CPU-time limit', async () => {
    const r = await py('while True:\n    pass', { wallMs: 20_000, cpuMs: 1_000 });
    expect(r.limitHit).toBe('cpu_time');
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe('SIGXCPU');
  });

  it('truncates huge output at the cap and stops the program', async () => {
    const r = await py('while True:\n    print("x" * 1000)', { outputBytes: 10_000, wallMs: 10_000 });
    expect(r.stdout.length).toBe(10_000);
    expect(r).toMatchObject({ stdoutTruncated: true, stderrTruncated: false, limitHit: 'output', timedOut: false });
  });

  it('cannot write outside the workspace', async () => {
    const hostPython = statSync('/usr/bin/python3');
    const r = await py(
      [
        'import errno, json',
        'out = {}',
        'for p in ["/usr/bin/python3", "/x", "/usr/lib/evil", "/etc/passwd", "/workspace/../usr/evil", "/bin/evil", "/proc/sys/kernel/hostname"]:',
        '    try:',
        '        open(p, "ab").write(b"pwned")',
        '        out[p] = "written"',
        '    except OSError as e:',
        '        out[p] = errno.errorcode[e.errno]',
        'open("/workspace/ok.txt", "w").write("fine")',
        'open("/tmp/ok.txt", "w").write("fine")',
        'print(json.dumps(out))',
      ].join('\n'),
    );
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    for (const [path, errno] of Object.entries(out)) expect([path, ['EROFS', 'EACCES', 'EPERM', 'ENOENT']]).toEqual([path, expect.arrayContaining([errno])]);
    // A host file the sandbox user does not own is refused by permissions before the read-only mount is consulted.
    expect(['EROFS', 'EACCES']).toContain(out['/usr/bin/python3']);
    expect(out['/x']).toBe('EROFS');
    expect(['EROFS', 'EACCES']).toContain(out['/usr/lib/evil']);
    const after = statSync('/usr/bin/python3');
    expect([after.size, after.mtimeMs]).toEqual([hostPython.size, hostPython.mtimeMs]);
  });

  it('cannot read /etc/shadow or /root', async () => {
    const r = await py(
      [
        'import errno, os',
        'for p in ["/etc/shadow", "/root"]:',
        '    try:',
        '        print(p, "READ", os.listdir(p) if os.path.isdir(p) else open(p).read()[:10])',
        '    except OSError as e:',
        '        print(p, errno.errorcode[e.errno])',
      ].join('\n'),
    );
    expect(r.stdout).not.toContain('READ');
    expect(r.stdout).toMatch(/^\/etc\/shadow (ENOENT|EACCES)\n\/root (ENOENT|EACCES)\n$/);
  });

  it('has no network but loopback, and cannot reach the host', async () => {
    const r = await py(
      [
        'import errno, socket, sys',
        'names = [n for _, n in socket.if_nameindex()]',
        'print("ifaces", ",".join(names))',
        // Guard: only try to leave when the namespace provably has nothing but lo, so no packet can go out.
        'if names != ["lo"]:',
        '    sys.exit(9)',
        'for host, port in [("127.0.0.1", 5432), ("10.255.255.1", 80)]:',
        '    s = socket.socket()',
        '    s.settimeout(2)',
        '    try:',
        '        s.connect((host, port))',
        '        print(host, "CONNECTED")',
        '    except OSError as e:',
        '        print(host, errno.errorcode.get(e.errno, str(e)))',
        '    finally:',
        '        s.close()',
        'try:',
        '    socket.getaddrinfo("example.com", 80)',
        '    print("dns RESOLVED")',
        'except OSError:',
        '    print("dns failed")',
      ].join('\n'),
      { wallMs: 8_000 },
    );
    expect(r.stdout).toBe('ifaces lo\n127.0.0.1 ECONNREFUSED\n10.255.255.1 ENETUNREACH\ndns failed\n');
  });

  it('does not leak the parent environment, not even through /proc/1/environ', async () => {
    const secret = `sekrit-${randomBytes(8).toString('hex')}`;
    process.env['LEMUR_TEST_SANDBOX_SECRET'] = secret;
    try {
      const r = await py(
        [
          'import os',
          'print(sorted(os.environ))',
          'for pid in os.listdir("/proc"):',
          '    if pid.isdigit():',
          '        try:',
          '            print(pid, open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace"))',
          '        except OSError as e:',
          '            print(pid, "unreadable", e.errno)',
        ].join('\n'),
      );
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('1 '); // pid 1 (bwrap's reaper) was inspected
      expect(r.stdout).not.toContain(secret);
      expect(r.stdout).not.toContain('LEMUR_TEST_SANDBOX_SECRET');
      expect(r.stdout.split('\n')[0]).toBe("['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']");
    } finally {
      delete process.env['LEMUR_TEST_SANDBOX_SECRET'];
    }
  });

  it('runs as a non-root uid with no effective capabilities', async () => {
    const r = await py('import os, re\nst = open("/proc/self/status").read()\nprint(os.getuid(), re.search(r"CapEff:\\s+(\\w+)", st).group(1))');
    const [uid, capEff] = r.stdout.trim().split(' ');
    expect(Number(uid)).not.toBe(0);
    expect(capEff).toBe('0000000000000000');
  });

  it('blocks unshare and ptrace with seccomp', async () => {
    const r = await py(
      [
        'import ctypes, errno',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'print("unshare", libc.unshare(0x10000000), errno.errorcode[ctypes.get_errno()])',
        'print("unshare-net", libc.unshare(0x40000000), errno.errorcode[ctypes.get_errno()])',
        'print("ptrace", libc.ptrace(16, 1, 0, 0), errno.errorcode[ctypes.get_errno()])',
      ].join('\n'),
    );
    expect(r.stdout).toBe('unshare -1 EPERM\nunshare-net -1 EPERM\nptrace -1 EPERM\n');
  });

  it('leaves no daemonised or orphaned process behind', async () => {
    const marker = `${900 + Math.floor(Math.random() * 99)}.${randomBytes(3).readUIntBE(0, 3)}`;
    const r = await backend.execute({
      language: 'bash',
      code: `setsid sleep ${marker} </dev/null >/dev/null 2>&1 &\n( setsid sleep ${marker} & ) </dev/null >/dev/null 2>&1\nsleep 0.2\necho started`,
    });
    expect(r.stdout).toBe('started\n');
    // The kernel tears the pid namespace down as its init exits; give the last processes a moment to be reaped.
    let left = hostProcessesWith(`sleep ${marker}`);
    for (let i = 0; i < 30 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = hostProcessesWith(`sleep ${marker}`);
    }
    expect(left.map((pid) => ({ pid, uid: uidOf(pid) }))).toEqual([]);
  });

  it('removes the per-run workspace', async () => {
    const marker = `marker-${randomBytes(6).toString('hex')}`;
    const r = await py(`open("${marker}", "w").write("x")\nimport os\nos.makedirs("deep/er", exist_ok=True)\nos.chmod("deep", 0)\nprint(os.listdir("."))`);
    expect(r.stdout).toContain(marker);
    const base = join(defaultWorkspaceRoot(), `lemur-sandbox-${process.getuid?.() ?? 0}`);
    const leftovers = readdirSync(base).filter((run) => {
      try {
        return readdirSync(join(base, run)).includes(marker);
      } catch {
        return false;
      }
    });
    expect(leftovers).toEqual([]);
  });
});

describe('LocalSandboxBackend scratch directories (SANDBOX_SCRATCH_DIRS)', () => {
  let scratch: LocalSandboxBackend;
  beforeAll(async () => {
    scratch = await LocalSandboxBackend.detect({ logger: pino({ level: 'warn' }), scratchDirs: ['/testbed', '/system'] });
  });
  afterAll(async () => {
    await scratch?.dispose();
  });
  const sh = (code: string, limits?: Parameters<LocalSandboxBackend['execute']>[0]['limits']) => scratch.execute({ language: 'bash', code, ...(limits ? { limits } : {}) });

  it('gives each run empty, writable directories of its own there, gone with the run and never on the host', async () => {
    const marker = `scratch-${randomBytes(6).toString('hex')}`;
    const first = await sh(`ls -A /testbed /system; echo ${marker} > /testbed/m && mkdir -p /system/a/b && cat /testbed/m`);
    expect(first).toMatchObject({ exitCode: 0, stdout: `/system:\n\n/testbed:\n${marker}\n` });
    const second = await sh('ls -A /testbed /system');
    expect(second.stdout).toBe('/system:\n\n/testbed:\n');
    expect(() => statSync('/testbed/m')).toThrow();
  });

  it('bounds each like /tmp, and leaves the rest of the root read-only', async () => {
    const full = await sh('head -c 2000000 /dev/zero > /testbed/big; echo rc=$?; touch /elsewhere; echo rc=$?', { tmpBytes: 1024 * 1024 });
    expect(full.stdout).toBe('rc=1\nrc=1\n');
    expect(full.stderr).toMatch(/No space left on device/);
    expect(full.stderr).toMatch(/Read-only file system/);
  });

  it('refuses a reserved or malformed path at start-up', async () => {
    for (const bad of [['/usr'], ['/etc/x'], ['/testbed/../proc'], ['relative']]) {
      await expect(LocalSandboxBackend.detect({ logger: pino({ level: 'warn' }), scratchDirs: bad })).rejects.toMatchObject({ code: PlatformErrorCode.SANDBOX_UNAVAILABLE });
    }
  });
});
