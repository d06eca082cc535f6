// Scheduled regression runs and run export end to end through the CLI, the gateway, the eval service (its scheduler
// and workers), the simulator and Postgres: a tick creates a run, a worse model on the next tick is flagged, the
// flag shows in `lemur runs show` (exit 3 with --fail-on-regression) and reaches the schedule's webhook (a loopback
// receiver: `lemur up` lifts the address guard) signed with the secret `schedules create` showed once, and
// `lemur runs export` writes the samples.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import { startTestPlatform, type TestPlatform } from './test-platform';

const ITEMS = 20;

let t: TestPlatform;
let home: string;
let client: GatewayClient;
let sql: pg.Client;
let hook: Server;
let hookUrl = '';
const delivered: { headers: IncomingHttpHeaders; body: string }[] = [];

const cli = (...args: string[]) => t.cli(args);

/** Makes the schedule due now (instead of waiting for its cron tick) and waits for the run that tick creates to finish. */
async function tick(scheduleId: string, before: number): Promise<RunJson> {
  await sql.query('UPDATE schedule SET next_run_at = date_trunc(\'second\', now()) WHERE id = $1', [scheduleId]);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM run WHERE schedule_id = $1 ORDER BY created_at', [scheduleId]);
    const run = rows.length > before ? await client.getRun(rows[before]!.id) : undefined;
    if (run && run.status !== 'queued' && run.status !== 'running' && run.regression) return run;
    if (Date.now() > deadline) throw new Error(`no finished, checked run for schedule ${scheduleId}: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  t = await startTestPlatform({ name: 'sched', env: { LOG_LEVEL: 'warn', EVAL_SCHEDULER_POLL_MS: '200' } });
  ({ home, client, sql } = t);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      delivered.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/lemur`;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  await t?.stop();
}, 60_000);

describe('scheduled regression runs and export through the CLI', () => {
  it('runs a schedule on its tick, flags a worse model against the previous run, and exports the samples', async () => {
    const created = await cli(
      'schedules', 'create', '--name', 'nightly-gsm8k', '--cron', '0 3 * * *', '--model', 'sim:oracle', '--benchmark', 'gsm8k', '--limit', String(ITEMS), '--webhook-url', hookUrl, '--json',
    );
    expect(created.code, created.stderr).toBe(0);
    const { schedule, webhookSecret } = JSON.parse(created.stdout) as { schedule: { id: string; name: string; nextRunAt: string }; webhookSecret: string };
    expect(new Date(schedule.nextRunAt).getUTCHours()).toBe(3);
    expect(webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listing = await cli('schedules', 'list', '--json');
    expect(listing.stdout).not.toContain(webhookSecret);
    const listed = JSON.parse(listing.stdout) as { id: string }[];
    expect(listed.map((s) => s.id)).toEqual([schedule.id]);

    const first = await tick(schedule.id, 0);
    expect(first).toMatchObject({ status: 'succeeded', scheduleId: schedule.id, regression: { baselineRunId: null, regressed: false } });
    // The model behind the schedule gets worse (the simulator's wrong answers), and the next tick catches it.
    await sql.query("UPDATE schedule SET model_name = 'sim:wrong' WHERE id = $1", [schedule.id]);
    const second = await tick(schedule.id, 1);
    expect(second.regression).toMatchObject({ baselineRunId: first.id, regressed: true, significant: true, comparable: true, regressedItems: ITEMS });
    expect(second.regression!.delta).toBeCloseTo(-1, 6);
    // The regression reached the webhook once (the first run did not regress), signed as a receiver checks it.
    const deadline = Date.now() + 10_000;
    while (delivered.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(delivered).toHaveLength(1);
    const [{ headers, body }] = delivered as [{ headers: IncomingHttpHeaders; body: string }];
    expect(headers['x-lemur-event-id']).toBe(`evt_${second.id}`);
    const expected = `v1=${createHmac('sha256', webhookSecret).update(`${String(headers['x-lemur-timestamp'])}.${body}`).digest('hex')}`;
    expect(headers['x-lemur-signature']).toBe(expected);
    expect(JSON.parse(body)).toMatchObject({ event: 'lemur.regression', run: { id: second.id, model: 'sim:wrong' }, baselineRunId: first.id });

    const shown = await cli('runs', 'show', second.id);
    expect(shown.stdout).toContain(`regression check vs ${first.id}: REGRESSION: delta -1.000`);
    const failing = await cli('runs', 'show', second.id, '--json', '--fail-on-regression');
    expect(failing.code).toBe(3);
    expect(JSON.parse(failing.stdout)).toMatchObject({ runId: second.id, scheduleId: schedule.id, regression: { regressed: true } });
    expect((await cli('runs', 'show', first.id, '--fail-on-regression')).code).toBe(0);

    const file = join(home, 'second.csv');
    const exported = await cli('runs', 'export', second.id, '--format', 'csv', '--output', file, '--json');
    expect(exported.code, exported.stderr).toBe(0);
    const rows = parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(ITEMS);
    expect(rows.map((r) => r['itemIndex'])).toEqual(Array.from({ length: ITEMS }, (_, i) => String(i)));
    expect(rows.every((r) => r['status'] === 'scored' && r['score'] === '0' && r['prompt']!.length > 0)).toBe(true);
    const jsonl = await cli('runs', 'export', first.id);
    const lines = jsonl.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { score: number; itemId: string; detail: { score: unknown } });
    expect(lines).toHaveLength(ITEMS);
    expect(lines.every((l) => l.score === 1 && l.detail.score !== null)).toBe(true);
    expect((await cli('runs', 'export', '00000000-0000-4000-8000-000000000000')).code).toBe(2);

    const deleted = await cli('schedules', 'delete', schedule.id, '--json');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse((await cli('schedules', 'list', '--json')).stdout)).toEqual([]);
    // The runs a deleted schedule made are kept.
    expect((await client.getRun(second.id)).regression?.regressed).toBe(true);
  }, 240_000);
});
