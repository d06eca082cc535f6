import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WARM_RUNNER_FILE, type ExecResult } from '@lemur/sandbox-policy';
import { ExecPoolMetrics } from './exec-pool.metrics';
import { LocalSandboxBackend, type ExecRequest } from './local-sandbox.backend';
import { RunWorkspaces, defaultWorkspaceRoot } from './run-workspace.adapter';

/**
 * The one-shot warm pool of the local backend: a pre-started sandbox must give the result a cold one gives, enforce
 * the same limits with the clock starting at delivery, and leave nothing behind for the next run.
 */

let backend: LocalSandboxBackend;
const registry = new Registry();
const metrics = new ExecPoolMetrics(registry);

beforeAll(async () => {
  backend = await LocalSandboxBackend.detect({ logger: pino({ level: 'warn' }) });
});

afterAll(async () => {
  await backend?.dispose();
});

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

/** Whether `pid` descends from this test process (other test files run their own sandboxes at the same time). */
function isOurs(pid: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === process.pid) return true;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

async function eventually(check: () => boolean, ms = 3_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (check()) return true;
  return check();
}

async function count(name: string, labels: Record<string, string>): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? name).endsWith('_count') || !name.endsWith('_seconds'))
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

const poolRuns = (language = 'python') => count('lemur_sandbox_exec_start_seconds', { language, source: 'pool' });
const coldRuns = (language = 'python') => count('lemur_sandbox_exec_start_seconds', { language, source: 'cold' });

// Compared field by field: what the program saw and did must not depend on whether its sandbox was pre-started.
const observable = (r: ExecResult) => ({ exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr, limitHit: r.limitHit, files: r.files });

const battery: ExecRequest[] = [
  { language: 'python', code: 'print("hello")' },
  { language: 'python', code: 'import sys, os\nprint(sys.argv, __name__, __file__, sorted(os.environ), os.getcwd(), sorted(os.listdir("/sandbox")))\nprint(sorted(os.listdir("/proc/self/fd")), sorted(os.listdir("/workspace")), os.listdir("/tmp"))' },
  { language: 'python', code: 'import os\nprint(sorted(p for p in os.listdir("/proc") if p.isdigit()), os.getpid(), os.getppid())' },
  { language: 'python', code: 'def f():\n    raise ValueError("boom")\nf()' },
  { language: 'python', code: 'import sys\nsys.exit(3)' },
  { language: 'python', code: 'print(input()[::-1])', stdin: 'abc\n' },
  { language: 'python', code: 'import sys\nprint(repr(sys.stdin.read()))' },
  { language: 'python', code: 'print(open("data/in.txt").read())\nopen("out.txt", "w").write("back")', files: [{ path: 'data/in.txt', content: 'payload' }], readFiles: ['out.txt'] },
  { language: 'python', code: 'import resource\nprint([resource.getrlimit(r) for r in (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC)])' },
  { language: 'python', code: 'print(open("/proc/self/status").read().split("CapInh")[1].split("Speculation")[0])' },
  { language: 'bash', code: 'echo "$0 $#"; env | sort; ls -l /proc/self/fd | tail -n +2 | wc -l; ls /sandbox; exit 7' },
  { language: 'bash', code: 'read -r x; echo "got $x"; cat /proc/self/status | grep -E "^(Uid|NoNewPrivs|Seccomp|SigIgn|SigBlk)"', stdin: 'line\n' },
  // Same pids in the sandbox's pid namespace: the waiter neither stays around nor forks before the program. /proc is
  // listed into a file, not a pipe: in `ls /proc | grep` whether grep exists yet when ls reads /proc is a race.
  { language: 'bash', code: 'echo $$; sleep 0 & echo $!; wait; ls /proc >/tmp/procs; grep -c "^[0-9]" /tmp/procs; yes | head -1; echo "${PIPESTATUS[@]}"' },
];

// The battery's cold results, the reference every pre-started variant below must match.
const cold: ExecResult[] = [];

describe('pre-started sandboxes give the result a cold sandbox gives', () => {

  it('runs the battery cold (no pool yet)', async () => {
    for (const req of battery) cold.push(await backend.execute(req));
    expect(cold.map((r) => r.exitCode)).toEqual([0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 7, 0, 0]);
    expect(await poolRuns()).toBe(0);
  });

  it('runs it again from the pool, every run pre-started, with identical results', async () => {
    backend.startExecPool({ size: 2, parallelStarts: 2, metrics });
    const warm: ExecResult[] = [];
    for (const req of battery) {
      await backend.execPoolFull();
      warm.push(await backend.execute(req));
    }
    expect(await poolRuns('python')).toBe(battery.filter((r) => r.language === 'python').length);
    expect(await poolRuns('bash')).toBe(battery.filter((r) => r.language === 'bash').length);
    expect(warm.map(observable)).toEqual(cold.map(observable));
  });

  it('keeps the pool full in the background', async () => {
    await backend.execPoolFull();
    const ready = (await registry.getSingleMetric('lemur_sandbox_exec_pool_ready')?.get())?.values ?? [];
    expect(ready.map((v) => [v.labels['language'], v.value]).sort()).toEqual([
      ['bash', 2],
      ['python', 2],
    ]);
  });
});

describe('warm runners passed as source (as when they cannot be compiled)', () => {
  const sourceRegistry = new Registry();
  let sourceBackend: LocalSandboxBackend;

  beforeAll(async () => {
    sourceBackend = await LocalSandboxBackend.detect({ logger: pino({ level: 'warn' }) });
    sourceBackend.startExecPool({ size: 1, parallelStarts: 1, metrics: new ExecPoolMetrics(sourceRegistry), runnerBytecode: false });
  });

  afterAll(async () => {
    await sourceBackend?.dispose();
  });

  it('waits with the runner on its command line, not as a bytecode file', async () => {
    await sourceBackend.execPoolFull();
    const waiting = hostProcessesWith('import os, sys, _signal').filter(isOurs);
    expect(waiting.length).toBeGreaterThan(0);
    expect(hostProcessesWith(WARM_RUNNER_FILE).filter(isOurs).filter((pid) => waiting.includes(pid))).toEqual([]);
  });

  it('runs the battery from the pool with the results of cold sandboxes', async () => {
    expect(cold).toHaveLength(battery.length);
    const warm: ExecResult[] = [];
    for (const req of battery) {
      await sourceBackend.execPoolFull();
      warm.push(await sourceBackend.execute(req));
    }
    const pooled = (await sourceRegistry.getSingleMetric('lemur_sandbox_exec_start_seconds')?.get())?.values ?? [];
    const runs = pooled.filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels['source'] === 'pool').reduce((n, v) => n + v.value, 0);
    expect(runs).toBe(battery.length);
    expect(warm.map(observable)).toEqual(cold.map(observable));
  });
});

describe('limits on pre-started sandboxes', () => {
  it('starts the wall clock when the program is delivered, not when the sandbox started', async () => {
    await backend.execPoolFull();
    // Every sandbox in the pool has now waited longer than the run's whole wall-time limit.
    await new Promise((r) => setTimeout(r, 1_200));
    const before = await poolRuns();
    const r = await backend.execute({ language: 'python', code: 'import time\ntime.sleep(0.3)\nprint("in time")', limits: { wallMs: 1_000 } });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'in time\n', timedOut: false, limitHit: null });
    expect(r.wallMs).toBeLessThan(1_000);
    expect(r.wallMs).toBeGreaterThanOrEqual(300);
    const slow = await backend.execute({ language: 'python', code: 'import time\ntime.sleep(30)', limits: { wallMs: 1_000 } });
    expect(slow).toMatchObject({ timedOut: true, limitHit: 'wall_time' });
    expect(slow.wallMs).toBeGreaterThanOrEqual(1_000);
    expect(slow.wallMs).toBeLessThan(3_000);
    expect(await poolRuns()).toBe(before + 2);
  });

  it('dates the sandbox directories from the run, not from the pre-start', async () => {
    await backend.execPoolFull();
    await new Promise((r) => setTimeout(r, 2_200));
    for (const language of ['python', 'bash'] as const) {
      const before = await poolRuns(language);
      const r = await backend.execute({ language: 'bash' === language ? 'bash' : 'python', code: language === 'bash' ? 'echo $(( $(date +%s) - $(stat -c %Y /workspace /tmp /dev/shm | sort -n | head -1) ))' : 'import os, time\nprint(round(time.time() - min(os.stat(d).st_mtime for d in ("/workspace", "/tmp", "/dev/shm"))))' });
      expect(Number(r.stdout.trim())).toBeLessThanOrEqual(1);
      expect(await poolRuns(language)).toBe(before + 1);
    }
  });

  it('applies output and workspace limits given per request on a pre-started sandbox', async () => {
    await backend.execPoolFull();
    const before = await poolRuns();
    const out = await backend.execute({ language: 'python', code: 'import sys\nwhile True:\n    sys.stdout.write("x" * 4096)', limits: { outputBytes: 10_000 } });
    expect(out).toMatchObject({ limitHit: 'output', stdoutTruncated: true });
    expect(out.stdout.length).toBe(10_000);
    const ws = await backend.execute({
      language: 'python',
      code: 'import time\nwith open("big", "wb") as f:\n    for _ in range(64):\n        f.write(b"\\0" * (1 << 20)); f.flush()\ntime.sleep(5)',
      limits: { workspaceBytes: 4 << 20 },
    });
    expect(ws.limitHit).toBe('workspace');
    expect(await poolRuns()).toBe(before + 2);
  });

  it('runs cold when the request fixes other spawn-time limits, and enforces them', async () => {
    const before = { pool: await poolRuns(), cold: await coldRuns(), misses: await count('lemur_sandbox_exec_pool_misses_total', { reason: 'shape' }) };
    const r = await backend.execute({ language: 'python', code: 'while True:\n    pass', limits: { cpuMs: 1_000, wallMs: 20_000 } });
    expect(r).toMatchObject({ limitHit: 'cpu_time', timedOut: false });
    expect(await poolRuns()).toBe(before.pool);
    expect(await coldRuns()).toBe(before.cold + 1);
    expect(await count('lemur_sandbox_exec_pool_misses_total', { reason: 'shape' })).toBe(before.misses + 1);
  });

  it('runs cold when the pool is empty, and every run still succeeds', async () => {
    await backend.execPoolFull();
    const misses = await count('lemur_sandbox_exec_pool_misses_total', { reason: 'empty' });
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => backend.execute({ language: 'python', code: `print(${i} * 7)` })));
    expect(runs.map((r) => r.stdout)).toEqual(['0\n', '7\n', '14\n', '21\n', '28\n', '35\n']);
    expect(await count('lemur_sandbox_exec_pool_misses_total', { reason: 'empty' })).toBeGreaterThan(misses);
  });
});

describe('nothing leaks from one pre-started run to the next', () => {
  it('leaves no file, variable or process for the next run, and no process on the host', async () => {
    const marker = `${700 + Math.floor(Math.random() * 99)}.${randomBytes(3).readUIntBE(0, 3)}`;
    await backend.execPoolFull();
    const before = await poolRuns();
    const first = await backend.execute({
      language: 'python',
      code: [
        'import os, subprocess',
        'for d in ("/tmp", "/dev/shm", "/workspace"):',
        '    open(f"{d}/left-behind", "w").write("x")',
        'os.environ["LEFT_BEHIND"] = "1"',
        'os.putenv("LEFT_BEHIND_2", "1")',
        `subprocess.Popen(["setsid", "sleep", "${marker}"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)`,
        `subprocess.Popen("nohup sleep ${marker} >/dev/null 2>&1 &", shell=True)`,
        'print("planted")',
      ].join('\n'),
    });
    expect(first).toMatchObject({ exitCode: 0, stdout: 'planted\n' });
    expect(await eventually(() => hostProcessesWith(`sleep ${marker}`).length === 0)).toBe(true);
    const second = await backend.execute({
      language: 'python',
      code: [
        'import os',
        'print(sorted(os.listdir("/tmp")), sorted(os.listdir("/dev/shm")), sorted(os.listdir("/workspace")))',
        'print(sorted(k for k in os.environ if k.startswith("LEFT")))',
        'print([open(f"/proc/{p}/cmdline", "rb").read().split(b"\\0")[0].decode() for p in sorted(os.listdir("/proc"), key=lambda s: s.zfill(9)) if p.isdigit()])',
      ].join('\n'),
    });
    expect(second.stdout).toBe("[] [] []\n[]\n['/usr/bin/bwrap', '/usr/bin/python3']\n");
    expect(await poolRuns()).toBe(before + 2);
  });

  it('cannot reach the sandboxes waiting in the pool: a run that kills all it sees leaves them working', async () => {
    await backend.execPoolFull();
    const hostile = await backend.execute({ language: 'bash', code: 'kill -9 -1 2>/dev/null; ls /proc | grep -c "^[0-9]"; echo done', limits: { wallMs: 5_000 } });
    expect(hostile.timedOut).toBe(false);
    const after = await Promise.all([1, 2].map((n) => backend.execute({ language: 'python', code: `print(${n})` })));
    expect(after.map((r) => r.stdout)).toEqual(['1\n', '2\n']);
  });

  it('does not hand out a sandbox that died while it waited', async () => {
    await backend.execPoolFull();
    // The waiting python runners (their bytecode file is in the command line) and the bwrap processes around them.
    const waiting = hostProcessesWith(WARM_RUNNER_FILE).filter(isOurs);
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    for (const pid of waiting) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone with its parent already
      }
    }
    const dead = await count('lemur_sandbox_exec_pool_misses_total', { reason: 'dead' });
    // Taken in the same tick as the kill, before the chain's exit is seen: the runner's missing acknowledgement tells.
    const r = await backend.execute({ language: 'python', code: 'print("still fine")' });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'still fine\n' });
    expect(await count('lemur_sandbox_exec_pool_misses_total', { reason: 'dead' })).toBe(dead + 1);
  });

  it('frees the workspace, entry directory and processes of a sandbox that is closed unused', async () => {
    const w = await backend.prestart('python', backend.resolveLimits({}));
    const { workspace, entryDir, child } = w.parts;
    expect(existsSync(workspace) && existsSync(entryDir)).toBe(true);
    expect(w.claim()).toBe(true);
    expect(w.claim()).toBe(false);
    await w.close();
    expect(existsSync(workspace) || existsSync(entryDir)).toBe(false);
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
  });

  it('sweeps the directories a killed service left behind, and only those', async () => {
    const workspaces = new RunWorkspaces(defaultWorkspaceRoot(), null);
    const base = join(defaultWorkspaceRoot(), `lemur-sandbox-${process.getuid?.() ?? 0}`);
    // Above the largest pid_max Linux allows: a pid that cannot be running.
    const dead = 4_194_305;
    const tag = randomBytes(4).toString('hex');
    for (const name of [`run-${dead}-${tag}`, `entry-${dead}-${tag}`, `run-${process.pid}-${tag}`]) {
      mkdirSync(join(base, name, 'sub'), { recursive: true });
      writeFileSync(join(base, name, 'sub', 'f'), 'x');
    }
    expect(await workspaces.sweepStale()).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(base, `run-${dead}-${tag}`)) || existsSync(join(base, `entry-${dead}-${tag}`))).toBe(false);
    expect(existsSync(join(base, `run-${process.pid}-${tag}`))).toBe(true);
    await workspaces.remove(join(base, `run-${process.pid}-${tag}`));
  });
});
