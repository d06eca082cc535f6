import { sandboxV1 } from '@lemur/proto';
import { type PlatformError } from '@lemur/shared-errors';
import type { SandboxClient } from '@lemur/shared-sandbox-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from './test-sandbox';


const { PYTHON, BASH } = sandboxV1.Language;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('one-shot Execute with files and the file/workspace/CPU limits, over real gRPC', () => {
  let sandbox: TestSandbox;
  let client: SandboxClient;

  beforeAll(async () => {
    sandbox = await startTestSandbox({
      SANDBOX_SESSION_POOL_SIZE: '0',
      SANDBOX_LIMIT_DEFAULTS: '{"workspaceBytes": 33554432}',
      SANDBOX_LIMIT_MAXIMA: '{"workspaceBytes": 67108864}',
    });
    client = sandbox.client;
  }, 30_000);

  afterAll(async () => {
    await sandbox?.close();
  });

  it('puts files in, reads named files back, and leaves out symlinks, missing files and directories', async () => {
    const r = await client.execute({
      language: BASH,
      code: 'tr a-z A-Z < in/data.txt > out.txt; mkdir -p d/e; echo deep > d/e/f.txt; ln -s /etc/passwd link; ln -s /etc etc',
      files: [{ path: 'in/data.txt', content: enc('hello') }],
      readFiles: ['out.txt', 'd/e/f.txt', 'link', 'etc/passwd', 'missing', 'd'],
    });
    expect(r.exitCode).toBe(0);
    expect(r.files.map((f) => [f.path, dec(f.content)])).toEqual([
      ['out.txt', 'HELLO'],
      ['d/e/f.txt', 'deep\n'],
    ]);
    const bad = await client.execute({ language: BASH, code: 'true', readFiles: ['../../etc/passwd'] }).then(
      () => null,
      (e: unknown) => e as PlatformError,
    );
    expect(bad).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'read_files' });
  });

  it('reports the file size limit', async () => {
    const py = await client.execute({ language: PYTHON, code: 'open("big", "wb").write(b"x" * 100_000)', limits: { fileSizeBytes: 10_000n } });
    expect(py.limitHit).toBe(sandboxV1.LimitHit.FILE_SIZE);
    const sh = await client.execute({ language: BASH, code: 'head -c 100000 /dev/zero > big; echo after', limits: { fileSizeBytes: 10_000n } });
    expect(sh.limitHit).toBe(sandboxV1.LimitHit.FILE_SIZE);
  });

  it('stops a run that fills the workspace past its limit', async () => {
    const r = await client.execute({
      language: BASH,
      code: 'for i in $(seq 1 40); do head -c 1000000 /dev/zero > f$i; done; sleep 3; echo survived',
      limits: { workspaceBytes: 8_000_000n, wallMs: 10_000 },
    });
    expect(r.limitHit).toBe(sandboxV1.LimitHit.WORKSPACE);
    expect(r.stdout).not.toContain('survived');
  });

  it('reports CPU time', async () => {
    const r = await client.execute({ language: PYTHON, code: 'import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass' });
    expect(r.exitCode).toBe(0);
    const caps = await client.getCapabilities({});
    if (caps.cgroup !== 'none') expect(r.cpuMs).toBeGreaterThanOrEqual(200);
  });

  it('rejects limits and files above the operator maxima, naming the field', async () => {
    const cases: [Parameters<SandboxClient['execute']>[0], string][] = [
      [{ language: PYTHON, code: '1', limits: { workspaceBytes: 67108865n } }, 'limits.workspaceBytes'],
      [{ language: PYTHON, code: '1', limits: { fileSizeBytes: 1n << 40n } }, 'limits.fileSizeBytes'],
      [{ language: PYTHON, code: '1', limits: { fileSizeBytes: 10n }, files: [{ path: 'a', content: enc('more than ten bytes') }] }, 'files'],
    ];
    for (const [request, field] of cases) {
      const err = await client.execute(request).then(
        () => null,
        (e: unknown) => e as PlatformError,
      );
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    }
  });

  it('reports cgroup mode and seccomp', async () => {
    const caps = await client.getCapabilities({});
    expect(['v2', 'v1', 'none']).toContain(caps.cgroup);
    expect(caps.seccomp).toBe(true);
  });
});
