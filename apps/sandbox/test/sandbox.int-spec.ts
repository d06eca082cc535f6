import { sandboxV1 } from '@lemur/proto';
import { type PlatformError } from '@lemur/shared-errors';
import type { SandboxClient } from '@lemur/shared-sandbox-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from './test-sandbox';



describe('sandbox service over real gRPC on the local bubblewrap backend', () => {
  let sandbox: TestSandbox;
  let client: SandboxClient;

  beforeAll(async () => {
    // A secret in the service's own environment must never reach sandboxed code.
    process.env.LEMUR_TEST_SECRET = 'hunter2-secret';
    sandbox = await startTestSandbox({ SANDBOX_MAX_CONCURRENT: '2' });
    client = sandbox.client;
  }, 30_000);

  afterAll(async () => {
    await sandbox?.close();
  });

  it('runs Python as an unprivileged user and reports exit code and output', async () => {
    const result = await client.execute({
      language: sandboxV1.Language.PYTHON,
      code: 'import os, sys\nprint(os.getuid() != 0, 6 * 7)\nprint("oops", file=sys.stderr)\nsys.exit(3)',
    });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'True 42\n', stderr: 'oops\n', timedOut: false, limitHit: sandboxV1.LimitHit.NONE });
  });

  it('runs bash with stdin and workspace files', async () => {
    const result = await client.execute({
      language: sandboxV1.Language.BASH,
      code: 'read name; echo "hi $name"; cat data/in.txt',
      stdin: 'lemur\n',
      files: [{ path: 'data/in.txt', content: new TextEncoder().encode('from a file\n') }],
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('hi lemur\nfrom a file\n');
  });

  it("runs the scientific Python the benchmarks' solutions import (MINT: sympy, numpy, scipy; DS-1000: pandas, sklearn, matplotlib)", async () => {
    const result = await client.execute({
      language: sandboxV1.Language.PYTHON,
      code: [
        'import numpy as np, scipy.integrate, sympy, pandas as pd, sklearn.linear_model',
        'import matplotlib',
        "matplotlib.use('Agg')",
        'import matplotlib.pyplot as plt',
        "x = sympy.symbols('x')",
        'print(sympy.integrate(x**2, (x, 0, 3)), round(scipy.integrate.quad(lambda t: t**2, 0, 3)[0], 6), int(np.arange(4).sum()))',
        "print(pd.DataFrame({'a': [1, 2]}).a.sum(), sklearn.linear_model.LinearRegression().fit([[0], [1]], [0, 2]).coef_[0].round(3))",
        "plt.plot([1, 2]); plt.savefig('plot.png'); print('plotted')",
      ].join('\n'),
      limits: { wallMs: 60_000, cpuMs: 60_000 },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('9 9.0 6\n3 2.0\nplotted\n');
    expect(result.exitCode).toBe(0);
  }, 90_000);

  it('says which limit ended a run', async () => {
    const slow = await client.execute({ language: sandboxV1.Language.PYTHON, code: 'while True: pass', limits: { wallMs: 1_000, cpuMs: 5_000 } });
    expect(slow.timedOut).toBe(true);
    expect(slow.limitHit).toBe(sandboxV1.LimitHit.WALL_TIME);
    const loud = await client.execute({ language: sandboxV1.Language.PYTHON, code: 'print("x" * 100000)', limits: { outputBytes: 1_000n } });
    expect(loud.stdoutTruncated).toBe(true);
    expect(loud.stdout.length).toBe(1_000);
    expect(loud.limitHit).toBe(sandboxV1.LimitHit.OUTPUT);
  });

  it('keeps the network and secrets out of reach', async () => {
    const result = await client.execute({
      language: sandboxV1.Language.PYTHON,
      code: [
        'import os, socket',
        'print(sorted(os.listdir("/sys/class/net")) if os.path.exists("/sys/class/net") else ["lo"])',
        's = socket.socket()',
        's.settimeout(2)',
        'try:',
        '    s.connect(("127.0.0.1", 5432)); print("connected")',
        'except OSError as e:',
        '    print("refused")',
        'print(dict(os.environ))',
        'print(open("/proc/1/environ", "rb").read())',
      ].join('\n'),
    });
    expect(result.stdout).toContain('refused');
    expect(result.stdout).not.toContain('connected');
    expect(result.stdout.split('\n')[0]).toBe("['lo']");
    expect(result.stdout).not.toContain('hunter2-secret');
  });

  it('rejects bad requests with the field named', async () => {
    const cases: [Parameters<SandboxClient['execute']>[0], string][] = [
      [{ code: 'print(1)' }, 'language'],
      [{ language: sandboxV1.Language.PYTHON, code: 'x', limits: { wallMs: 10_000_000 } }, 'limits.wallMs'],
    ];
    for (const [request, field] of cases) {
      const err = await client.execute(request).then(
        () => null,
        (e: unknown) => e as PlatformError,
      );
      expect(err?.code).toBe('INVALID_ARGUMENT');
      expect(err?.field).toBe(field);
    }
  });

  it('ends the runs of a caller that gave up (deadline passed): their programs are stopped and their slots freed', async () => {
    const sleeper = { language: sandboxV1.Language.PYTHON, code: 'import time\ntime.sleep(60)', limits: { wallMs: 60_000 } };
    const counted = async (outcome: string) => {
      const text = await (await fetch(`${sandbox.app.metricsUrl}/metrics`)).text();
      return Number(new RegExp(`^lemur_sandbox_runs_total\\{language="python",backend="local",mode="execute",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    };
    const timeoutsBefore = await counted('timeout');
    const started = Date.now();
    const gaveUp = await Promise.all([1, 2].map(() => client.execute(sleeper, { deadlineMs: 1_000 }).then(() => null, (e: unknown) => e as PlatformError)));
    expect(gaveUp.map((e) => e?.code)).toEqual(['DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED']);
    // Both slots (SANDBOX_MAX_CONCURRENT=2) were held by the sleepers: the next run gets one only if they were ended.
    const next = await client.execute({ language: sandboxV1.Language.PYTHON, code: 'print("free")' }, { deadlineMs: 20_000 });
    expect(next.stdout).toBe('free\n');
    expect(Date.now() - started).toBeLessThan(20_000);
    // Counted as cancelled, not as runs that hit their wall time.
    expect([await counted('cancelled'), await counted('timeout')]).toEqual([2, timeoutsBefore]);
  });

  it('reports its isolation', async () => {
    const caps = await client.getCapabilities({});
    expect(caps.backend).toBe('local');
    expect(caps.seccomp).toBe(true);
    expect(['v2', 'v1', 'none']).toContain(caps.cgroup);
    expect(caps.isolation).toMatch(/^bubblewrap /);
  });
});
