// `lemur runs delete` end to end through the real CLI binary, gateway, eval service and Postgres: a script (stdin not a
// terminal) is refused without --yes before anything is sent; --yes --json deletes the run and exactly its samples; a
// runner key and a running run are refused with the gateway's word for it; on a real terminal (a pty from util-linux
// `script`) the user is asked, and only "y" deletes.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../src/api/gateway-client';
import { waitFinal } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

const repoRoot = resolve(__dirname, '../../..');

let t: TestPlatform;
let client: GatewayClient;
let sql: pg.Client;

const cli = (...args: string[]) => t.cli(args);

async function finishedRun(limit = 3): Promise<string> {
  const run = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit });
  expect((await waitFinal(client, run.id)).status).toBe('succeeded');
  return run.id;
}

const samplesOf = async (runId: string) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM sample WHERE run_id = $1', [runId])).rows[0]!.n;

/**
 * Runs `lemur ARGS` on a pseudo-terminal (util-linux `script`), as a user at a shell would, and types `answer` once the
 * question shows; resolves with everything the terminal showed and the exit code.
 */
function onTerminal(args: string[], answer: string): Promise<{ shown: string; code: number | null }> {
  const command = [join(repoRoot, 'bin/lemur'), ...args, '--server', t.platform.gatewayUrl].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd: repoRoot,
    env: { ...process.env, LEMUR_HOME: t.home, LEMUR_CONFIG: join(t.home, 'config.json'), LEMUR_API_KEY: t.platform.apiKey },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let shown = '';
  let answered = false;
  child.stdout.on('data', (chunk: Buffer) => {
    shown += chunk.toString('utf8');
    if (!answered && shown.includes('[y/N]')) {
      answered = true;
      child.stdin.write(answer);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (shown += chunk.toString('utf8')));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`lemur ${args.join(' ')} did not end on the terminal; it showed: ${shown}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ shown, code });
    });
  });
}

beforeAll(async () => {
  t = await startTestPlatform({ name: 'runs-delete', env: { LOG_LEVEL: 'warn' } });
  ({ client, sql } = t);
}, 180_000);

afterAll(() => t?.stop(), 60_000);

describe('lemur runs delete', () => {
  it('refuses a script without --yes, then deletes the run and exactly its samples with --yes --json', async () => {
    const [run, kept] = [await finishedRun(3), await finishedRun(2)];

    const refused = await cli('runs', 'delete', run);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`not deleting run ${run}: stdin is not a terminal to confirm on; pass --yes to delete it without asking`);
    expect(await samplesOf(run)).toBe(3);

    const deleted = await cli('runs', 'delete', run, '--yes', '--json');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: run });
    expect(await samplesOf(run)).toBe(0);
    expect(await samplesOf(kept)).toBe(2);
    expect((await sql.query('SELECT 1 FROM run WHERE id = $1', [run])).rowCount).toBe(0);
    const audit = await sql.query<{ action: string; detail: unknown }>("SELECT action, detail FROM audit_log WHERE target = $1 AND action = 'run.delete'", [run]);
    expect(audit.rows).toEqual([{ action: 'run.delete', detail: { model: 'sim:oracle', benchmark: 'gsm8k', status: 'succeeded', samples: 3 } }]);

    const again = await cli('runs', 'delete', run, '--yes');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`run ${run} not found`);
  });

  it("passes on the gateway's refusals: a runner key (403), a running run (409, cancel it first)", async () => {
    const run = await finishedRun(2);
    const runner = await client.createKey({ name: 'ci', role: 'runner' });
    const notAdmin = await t.cli(['runs', 'delete', run, '--yes'], { LEMUR_API_KEY: runner.secret });
    expect(notAdmin.code).toBe(2);
    expect(notAdmin.stderr).toContain('needs the admin role');
    expect(await samplesOf(run)).toBe(2);

    // One sample at a time through 1,319 items keeps the run busy for longer than the test takes.
    const busy = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', concurrency: 1 });
    const active = await cli('runs', 'delete', busy.id, '--yes');
    expect(active.code).toBe(2);
    expect(active.stderr).toMatch(/is still (queued|running); cancel it first \(lemur runs cancel/);
    expect((await cli('runs', 'cancel', busy.id)).code).toBe(0);
    const after = await cli('runs', 'delete', busy.id, '--yes', '--json');
    expect(after.code, after.stderr).toBe(0);
    expect(await samplesOf(busy.id)).toBe(0);
  });

  it('asks on a terminal, says what would go, and deletes only on yes', async () => {
    const run = await finishedRun(2);
    const declined = await onTerminal(['runs', 'delete', run], 'n\n');
    expect(declined.shown).toContain(`delete run ${run} (sim:oracle on gsm8k, succeeded, 2 samples) and all its samples? This cannot be undone. [y/N]`);
    expect(declined.shown).toContain(`not deleted: run ${run}`);
    expect(declined.code).toBe(1);
    expect(await samplesOf(run)).toBe(2);

    const accepted = await onTerminal(['runs', 'delete', run], 'y\n');
    expect(accepted.code, accepted.shown).toBe(0);
    expect(accepted.shown).toContain(`deleted run ${run} (sim:oracle on gsm8k, succeeded, 2 samples)`);
    expect(await samplesOf(run)).toBe(0);
  });
});
