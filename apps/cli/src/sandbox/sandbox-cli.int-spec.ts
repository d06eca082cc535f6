import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const repoRoot = join(__dirname, '..', '..', '..', '..');
const lemur = join(repoRoot, 'bin', 'lemur');

let service: ChildProcess;
let address: string;
let workDir: string;

/** Runs the CLI with `input` on stdin; resolves with its output and exit status whatever the status. */
function cli(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(lemur, args, { cwd: repoRoot, env: { ...process.env, LEMUR_HOME: workDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'lemur-cli-sandbox-'));
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  address = `127.0.0.1:${grpcPort}`;
  // The sandbox service as its own process, as `lemur up` runs it.
  service = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, join(repoRoot, 'apps/sandbox/src/main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json'), SANDBOX_GRPC_URL: address, SANDBOX_METRICS_PORT: String(metricsPort), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 600; i++) {
    if ((await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => null))?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('sandbox service did not start');
}, 90_000);

afterAll(() => {
  service?.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

describe('lemur sandbox exec', () => {
  it('prints the result as JSON and exits with the program status', async () => {
    const r = await cli(['sandbox', 'exec', '--lang', 'python', '--code', 'import sys\nprint(6 * 7)\nsys.exit(3)', '--json', '--sandbox', address]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 3, stdout: '42\n', stderr: '', timedOut: false, oomKilled: false, limitHit: null });
    expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(
      expect.arrayContaining(['exitCode', 'stdout', 'stderr', 'timedOut', 'oomKilled', 'limitHit', 'wallMs']),
    );
  });

  it('reads the program from stdin and reports a timeout', async () => {
    const r = await cli(['sandbox', 'exec', '--lang', 'bash', '-', '--timeout', '1', '--sandbox', address], 'echo started\nsleep 30\n');
    expect(r.code).toBe(124);
    expect(r.stdout).toBe('started\n');
    expect(r.stderr).toContain('limit hit: wall_time');
  });

  it('runs SQL against a SQLite file and prints a table', async () => {
    const db = join(workDir, 'shop.db');
    await execFileAsync('/usr/bin/python3', [
      '-c',
      'import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute("CREATE TABLE item (id INT, name TEXT)")\nc.executemany("INSERT INTO item VALUES (?, ?)", [(1, "ant"), (2, "bee")])\nc.commit()',
      db,
    ]);
    const r = await cli(['sandbox', 'exec', '--lang', 'sql', '--db', db, '--code', 'SELECT * FROM item ORDER BY id;', '--sandbox', address]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('id | name\n---+-----\n1  | ant\n2  | bee\n(2 rows)\n');
  });

  it('says what is wrong with its arguments', async () => {
    const r = await cli(['sandbox', 'exec', '--lang', 'sql', '--code', 'SELECT 1', '--sandbox', address]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--db FILE (SQLite) or --mysql-db NAME');
    const help = await cli(['sandbox', 'exec', '--help']);
    expect(help.stdout).toContain('Examples:');
  });
});

describe('lemur sandbox session', () => {
  it('keeps Python state between cells', async () => {
    const r = await cli(['sandbox', 'session', '--lang', 'python', '--sandbox', address], 'x = 40\nfor i in range(2):\n    x += 1\n\nprint(x)\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('42\n');
  });

  it('keeps the bash working directory and variables', async () => {
    const r = await cli(['sandbox', 'session', '--lang', 'bash', '--sandbox', address], 'mkdir -p d && cd d\nA=5\necho "$A $(basename "$PWD")"\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('5 d\n');
  });
});
