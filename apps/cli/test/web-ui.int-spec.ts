// The web UI end to end in a real headless Chromium, against the real local platform (simulator, inference, sandbox,
// eval workers, gateway, Postgres): log in, the runs list and its filters, a run page (CIs, sample table and its
// filters, a screenshot that really shows it), live progress of a running run and cancelling it, a MINT transcript with
// its <execute> actions and observations, feedback turns, the compare page, the schedules page with a regression flag,
// filters kept in the URL, paging through a 10k-sample run, deleting a run (and the refusals a deletion meets), and
// what each role is offered.
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import type { LocalPlatform } from '../src/local/local-platform';
import { parseSimModel } from '../src/models/sim-models';
import { decodePng, distinctColours } from './png-image';
import { waitFinal } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

const PUBLISHED_RUN = resolve(__dirname, '../../../../shared/datasets/mint-bench/data/outputs/lemur-70b-chat-v1/F=None/max5_p2+tool+cd');
const REPLAY_MODEL = `sim:replay=${PUBLISHED_RUN}`;
const VIEWPORT = { width: 1280, height: 800 };
const BIG_RUN_SAMPLES = 10_000;
// WEB_UI_SCREENSHOTS=DIR keeps a full-page screenshot of each page visited, for a person to look at.
const SCREENSHOTS = process.env.WEB_UI_SCREENSHOTS;

// What the functions run inside the page use of the browser's globals (this project compiles without the DOM library).
interface InPage {
  document: { querySelectorAll(selector: string): { length: number }; querySelector(selector: string): { textContent: string | null } | null };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };
  location: { hash: string };
}

interface SampleJson {
  id: string;
  itemId: string;
  detail: { transcript: { role: string; kind?: string; content?: string; code?: string; observation?: string }[] | null } | null;
}

let t: TestPlatform;
let platform: LocalPlatform;
let client: GatewayClient;
let sql: pg.Client;
let browser: Browser;
let page: Page;
const runs: { oracle?: RunJson; wrong?: RunJson; mint?: RunJson; feedback?: RunJson; scheduled?: RunJson; big?: string; cancelled?: string } = {};
let scheduleId = '';

const ui = (hash = '') => `${platform.gatewayUrl}/ui${hash}`;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${platform.gatewayUrl}${path}`, { headers: { authorization: `Bearer ${platform.apiKey}` } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

/** Logs out if logged in, then in with `key` through the login form (which asks the API for the key's team and role). */
async function logIn(key: string) {
  if (await page.locator('#logout').isVisible()) await page.click('#logout');
  await page.waitForSelector('#api-key');
  await page.fill('#api-key', key);
  await page.click('#login-submit');
  await page.waitForSelector('#runs-table');
}

async function keep(name: string) {
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Waits until `count` elements match `selector` (the table of the page just navigated to has been drawn). */
async function rows(selector: string, count: number, timeout = 15_000) {
  await page.waitForFunction(([s, n]) => (globalThis as unknown as InPage).document.querySelectorAll(s as string).length === n, [selector, count] as const, { timeout });
}

/** Makes the schedule due now and waits for the run its tick creates to finish and be checked against its baseline. */
async function tick(id: string): Promise<RunJson> {
  await sql.query("UPDATE schedule SET next_run_at = date_trunc('second', now()) WHERE id = $1", [id]);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { rows: found } = await sql.query<{ id: string }>('SELECT id FROM run WHERE schedule_id = $1', [id]);
    const run = found[0] ? await client.getRun(found[0].id) : undefined;
    if (run && run.status !== 'queued' && run.status !== 'running' && run.regression) return run;
    if (Date.now() > deadline) throw new Error(`no finished, checked run for schedule ${id}: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The big run's stored per-group breakdown (what a benchmark with groups, e.g. Spider by hardness, stores).
const groupMetric = (value: number, ci: [number, number]) => [{ name: 'pass@1', value, ci, method: 'wilson', n: BIG_RUN_SAMPLES / 2 }];
const BIG_RUN_GROUPS = [
  { name: 'even', metrics: groupMetric(0, [0, 0.0008]) },
  { name: 'odd', metrics: groupMetric(1, [0.9992, 1]) },
];

/** A finished run of BIG_RUN_SAMPLES samples written straight to the database (half passed, half failed). */
async function seedBigRun(like: string): Promise<string> {
  const counts = { total: BIG_RUN_SAMPLES, pending: 0, scored: BIG_RUN_SAMPLES, errored: 0, cancelled: 0 };
  const { rows: created } = await sql.query<{ id: string }>(
    `INSERT INTO run (id, team_id, model_name, benchmark, benchmark_version, config, spec, status, total_samples, summary, created_at, started_at, finished_at)
     SELECT gen_random_uuid(), team_id, 'sim:big', benchmark, benchmark_version, config, spec, 'SUCCEEDED', $2,
            jsonb_set(jsonb_set(summary, '{counts}', $3::jsonb), '{groups}', $4::jsonb), now(), started_at, finished_at
     FROM run WHERE id = $1 RETURNING id`,
    [like, BIG_RUN_SAMPLES, JSON.stringify(counts), JSON.stringify(BIG_RUN_GROUPS)],
  );
  const id = created[0]!.id;
  await sql.query(
    `INSERT INTO sample (id, run_id, item_id, item_index, sample_index, status, prompt, completion, score, passed, score_detail, transcript,
                         prompt_tokens, completion_tokens, latency_ms, attempts)
     SELECT gen_random_uuid(), $1, 'big/' || i, i, 0, 'SCORED', repeat('prompt text ', 200), 'answer ' || i, (i % 2)::float8, i % 2 = 1,
            '{"reason": "seeded"}'::jsonb, jsonb_build_array(jsonb_build_object('role', 'model', 'content', repeat('turn text ', 300))), 500, 80, 40, 1
     FROM generate_series(0, $2::int - 1) AS i`,
    [id, BIG_RUN_SAMPLES],
  );
  return id;
}

beforeAll(async () => {
  t = await startTestPlatform({
    name: 'web-ui',
    env: { LOG_LEVEL: 'warn', EVAL_SCHEDULER_POLL_MS: '200' },
    simFast: true,
    extraSimModels: [parseSimModel(REPLAY_MODEL, process.cwd())!],
  });
  ({ platform, client, sql } = t);

  const started = await Promise.all([
    client.createRun({ model: 'sim:oracle', benchmark: 'humaneval', limit: 10 }),
    client.createRun({ model: 'sim:wrong', benchmark: 'humaneval', limit: 10 }),
    client.createRun({ model: REPLAY_MODEL, benchmark: 'mint-gsm8k', limit: 5 }),
    client.createRun({ model: 'sim:wrong', benchmark: 'mint-gsm8k', limit: 1, feedbackModel: 'sim:echo' }),
  ]);
  [runs.oracle, runs.wrong, runs.mint, runs.feedback] = await Promise.all(started.map((r) => waitFinal(client, r.id)));
  // A schedule whose baseline is the oracle run and whose model answers wrong: its run is flagged as a regression.
  const { schedule } = await client.createSchedule({
    name: 'nightly-humaneval',
    cron: '0 3 * * *',
    model: 'sim:wrong',
    benchmarks: ['humaneval'],
    baseline: runs.oracle!.id,
    limit: 10,
  });
  scheduleId = schedule.id;
  runs.scheduled = await tick(schedule.id);
  runs.big = await seedBigRun(runs.oracle!.id);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: VIEWPORT });
}, 420_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
}, 60_000);

describe('the web UI in a real browser', () => {
  it('serves its files without a key, under a strict CSP, while every API call needs one', async () => {
    expect(runs.oracle?.status).toBe('succeeded');
    expect(runs.scheduled?.regression).toMatchObject({ regressed: true, baselineRunId: runs.oracle!.id });
    const root = await fetch(`${platform.gatewayUrl}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui');
    for (const path of ['/ui', '/ui/', '/ui/app.js', '/ui/app.css']) {
      const response = await fetch(`${platform.gatewayUrl}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${platform.gatewayUrl}/ui/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    const missing = await fetch(`${platform.gatewayUrl}/ui/..%2F..%2Fpackage.json`);
    expect(missing.status).toBe(404);
    expect((await fetch(`${platform.gatewayUrl}/v1/runs`)).status).toBe(401);
  });

  it('validates what the UI asks of the API: filters, verdicts, sample ids', async () => {
    const call = async (path: string) => {
      const response = await fetch(`${platform.gatewayUrl}${path}`, { headers: { authorization: `Bearer ${platform.apiKey}` } });
      return { status: response.status, body: (await response.json()) as { error?: { code: string; field?: string } } };
    };
    expect(await call('/v1/runs?status=done')).toMatchObject({ status: 400, body: { error: { field: 'status' } } });
    expect(await call('/v1/runs?schedule=nightly')).toMatchObject({ status: 400, body: { error: { field: 'schedule' } } });
    expect(await call(`/v1/runs/${runs.wrong!.id}/samples?passed=maybe`)).toMatchObject({ status: 400, body: { error: { field: 'passed' } } });
    expect(await call(`/v1/runs/${runs.wrong!.id}/samples/42`)).toMatchObject({ status: 400, body: { error: { field: 'sampleId' } } });
    const missing = await call(`/v1/runs/${runs.wrong!.id}/samples/00000000-0000-4000-8000-000000000000`);
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'SAMPLE_NOT_FOUND' } } });
    // A sample id of another run is not found through this run.
    const { samples } = await api<{ samples: SampleJson[] }>(`/v1/runs/${runs.oracle!.id}/samples?limit=1`);
    expect((await call(`/v1/runs/${runs.wrong!.id}/samples/${samples[0]!.id}`)).status).toBe(404);
    const one = await api<{ sample: SampleJson }>(`/v1/runs/${runs.oracle!.id}/samples/${samples[0]!.id}`);
    expect(one.sample.itemId).toBe(samples[0]!.itemId);
    const filtered = await api<{ runs: RunJson[] }>(`/v1/runs?model=sim:wrong&benchmark=humaneval&status=succeeded&schedule=${scheduleId}`);
    expect(filtered.runs.map((r) => r.id)).toEqual([runs.scheduled!.id]);
  });

  it('refuses a wrong key with a clear message, and logs in with the platform key', async () => {
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    await page.goto(`${platform.gatewayUrl}/`);
    await page.waitForSelector('#api-key');
    expect(page.url()).toMatch(/\/ui#\/login$/);
    await page.fill('#api-key', `lmr_${'a'.repeat(12)}_${'b'.repeat(43)}`);
    await page.click('#login-submit');
    const error = page.locator('#login-status .error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/UNAUTHENTICATED: unknown API key lmr_aaaaaaaaaaaa/);
    expect(await page.locator('#login-status').textContent()).toContain('That key was not accepted');
    await keep('login-refused');
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem('lemur.apiKey'))).toBeNull();

    await page.fill('#api-key', platform.apiKey);
    await page.click('#login-submit');
    await page.waitForSelector('#runs-table');
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem('lemur.apiKey'))).toBe(platform.apiKey);
    expect(page.url()).not.toContain(platform.apiKey.slice(17));
    expect(consoleLines.join('\n')).not.toContain(platform.apiKey.slice(17));
  });

  it('lists the runs and filters them by model, benchmark, status and schedule', async () => {
    await page.goto(ui('#/runs'));
    await rows('#runs-table tbody tr', 6);
    await keep('runs');
    expect(await page.locator(`tr[data-run-id="${runs.wrong!.id}"]`).textContent()).toMatch(/sim:wrong.*humaneval@.*succeeded.*0\.0%/);

    await page.selectOption('select[name=model]', 'sim:wrong');
    await rows('#runs-table tbody tr', 3);
    expect(await page.locator('#runs-table tbody tr td:nth-child(3)').allTextContents()).toEqual(['sim:wrong', 'sim:wrong', 'sim:wrong']);
    await page.selectOption('select[name=benchmark]', 'humaneval');
    await rows('#runs-table tbody tr', 2);
    await page.selectOption('select[name=status]', 'failed');
    await page.waitForSelector('p.empty');
    expect(await page.textContent('p.empty')).toBe('No run matches these filters.');
    await page.click('text=Clear filters');
    await rows('#runs-table tbody tr', 6);

    await page.selectOption('select[name=schedule]', scheduleId);
    await rows('#runs-table tbody tr', 1);
    expect(await page.locator('#runs-table tbody tr .badge-regressed').textContent()).toBe('regression -100.0 pts');
  });

  it('shows a run: metrics with confidence intervals, counts, the sample table and its failed/errored filters', async () => {
    await page.goto(ui(`#/runs/${runs.oracle!.id}`));
    await rows('#samples-table tbody tr', 10);
    const metric = runs.oracle!.summary!.metrics[0]!;
    const metricsText = await page.textContent('#metrics');
    expect(metricsText).toContain('100.0%');
    expect(metricsText).toContain(`[${(metric.ci[0] * 100).toFixed(1)}%, ${(metric.ci[1] * 100).toFixed(1)}%]`);
    expect(await page.textContent('#counts')).toMatch(/10 samples\s*10 scored\s*0 errored/);

    await keep('run');
    // The screenshot really shows the page: a decodable PNG of the viewport, not one flat colour.
    const png = decodePng(await page.screenshot());
    expect({ width: png.width, height: png.height }).toEqual(VIEWPORT);
    expect(distinctColours(png)).toBeGreaterThan(20);
    for (const selector of ['#run-summary h1', '#metrics', '#samples-table', '.badge-succeeded']) {
      const box = await page.locator(selector).first().boundingBox();
      expect(box, selector).not.toBeNull();
      expect(box!.width * box!.height, selector).toBeGreaterThan(0);
    }
    expect((await page.locator('#run-summary h1').boundingBox())!.y).toBeLessThan(VIEWPORT.height);

    await page.click('[data-filter=failed]');
    await page.waitForSelector('p.empty');
    expect(await page.textContent('#samples p.empty')).toBe('No failed samples.');

    await page.goto(ui(`#/runs/${runs.wrong!.id}`));
    await rows('#samples-table tbody tr', 10);
    await page.click('[data-filter=failed]');
    await page.waitForFunction(() => (globalThis as unknown as InPage).location.hash.includes('filter=failed'));
    await rows('#samples-table tbody tr.failed', 10);
    await page.click('[data-filter=errored]');
    await page.waitForSelector('#samples p.empty');
    expect(await page.textContent('#samples p.empty')).toBe('No errored samples.');
  });

  it('shows a MINT transcript: prompt, model turns, <execute> actions with observations, the verdict and why', async () => {
    const { samples } = await api<{ samples: SampleJson[] }>(`/v1/runs/${runs.mint!.id}/samples`);
    const withCode = samples.find((s) => s.detail?.transcript?.some((e) => e.kind === 'execute'));
    expect(withCode, 'a replayed episode that ran code').toBeDefined();
    const events = withCode!.detail!.transcript!;
    await page.goto(ui(`#/runs/${runs.mint!.id}`));
    await page.click(`a[href$="/samples/${withCode!.id}"]`);
    await page.waitForSelector('#transcript .turn');
    expect(page.url()).toContain(`#/runs/${runs.mint!.id}/samples/${withCode!.id}`);

    expect((await page.textContent('#prompt pre'))!.length).toBeGreaterThan(100);
    expect(await page.locator('#transcript > ol > li').count()).toBe(events.length);
    const executes = events.filter((e) => e.kind === 'execute');
    expect(await page.locator('.turn-execute').count()).toBe(executes.length);
    expect(await page.locator('.turn-execute pre.code').first().textContent()).toBe(executes[0]!.code);
    expect(await page.locator('.turn-execute pre.observation').first().textContent()).toBe(executes[0]!.observation);
    // Model text is shown as text: its <execute> tags are visible characters, never elements.
    const firstModel = events.find((e) => e.role === 'model')!;
    expect(firstModel.content).toContain('<execute>');
    expect(await page.locator('.turn-model pre').first().textContent()).toBe(firstModel.content);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).document.querySelectorAll('execute, solution').length)).toBe(0);
    expect(await page.locator('.turn-verdict').count()).toBe(1);
    await keep('sample-mint');
    expect(await page.textContent('#verdict')).toMatch(/reason/);
    for (const selector of ['#prompt', '#transcript', '#verdict']) expect((await page.locator(selector).boundingBox())!.height).toBeGreaterThan(0);
  });

  it('shows feedback turns of a run with a feedback model', async () => {
    const { samples } = await api<{ samples: SampleJson[] }>(`/v1/runs/${runs.feedback!.id}/samples`);
    await page.goto(ui(`#/runs/${runs.feedback!.id}/samples/${samples[0]!.id}`));
    await page.waitForSelector('.turn-feedback');
    expect(await page.locator('.turn-feedback pre').first().textContent()).toContain('You are an expert tasked with evaluating');
    expect(await page.locator('.turn-propose').count()).toBeGreaterThan(0);
    await keep('sample-feedback');
  });

  it('compares two runs picked in the list: side by side, with the items that flipped', async () => {
    await page.goto(ui('#/runs?benchmark=humaneval&status=succeeded'));
    // oracle, wrong, the scheduled run and the seeded big one.
    await rows('#runs-table tbody tr', 4);
    await page.check(`tr[data-run-id="${runs.oracle!.id}"] input[type=checkbox]`);
    await page.check(`tr[data-run-id="${runs.wrong!.id}"] input[type=checkbox]`);
    await page.click('#compare-selected');
    await page.waitForSelector('#comparison');
    const comparison = await client.compare(runs.oracle!.id, runs.wrong!.id);
    const [a, b] = page.url().includes(`a=${runs.oracle!.id}`) ? [runs.oracle!, runs.wrong!] : [runs.wrong!, runs.oracle!];
    const flipped = a.id === runs.oracle!.id ? comparison.regressed.items : comparison.improved.items;
    expect(flipped).toHaveLength(10);
    await rows(`#flips-${a.id === runs.oracle!.id ? 'regressed' : 'improved'} li`, 10);
    expect((await page.locator('#flips-regressed li, #flips-improved li').allTextContents()).sort()).toEqual([...flipped].sort());
    expect(await page.textContent('#comparison')).toMatch(a.id === runs.oracle!.id ? /-100\.0 pts.*significantly worse/s : /\+100\.0 pts.*significantly better/s);
    expect(await page.locator('.side').count()).toBe(2);
    await keep('compare');
    expect(await page.locator('.side').first().textContent()).toContain(a.model);
    expect(await page.locator('.side').nth(1).textContent()).toContain(b.model);
  });

  it('lists the schedules with the regression flag of their runs, and why a tick is held back', async () => {
    // What the scheduler stores when a team quota holds a tick back; markup in it must show as text.
    const reason = 'team default has 1 run(s) queued or running, its quota is 1 <img src=x>';
    await sql.query('UPDATE schedule SET last_skip_reason = $2 WHERE id = $1', [scheduleId, reason]);
    await page.click('nav >> text=Schedules');
    const card = page.locator(`[data-schedule-id="${scheduleId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toMatch(/nightly-humaneval.*enabled.*regression in recent runs/s);
    expect(await card.locator(`tr[data-run-id="${runs.scheduled!.id}"] .badge-regressed`).textContent()).toBe('regression -100.0 pts');
    expect(await card.locator('.held-back').textContent()).toBe(`held back: ${reason}`);
    expect(await card.locator('img').count()).toBe(0);
    await keep('schedules');
    await card.locator('text=compare').click();
    await page.waitForSelector('#comparison');
    expect(page.url()).toContain(`a=${runs.oracle!.id}`);
  });

  it('shows live progress while a run is running, and its end', async () => {
    const running = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', concurrency: 1 });
    await page.goto(ui(`#/runs/${running.id}`));
    const label = page.locator('#run-summary .progress-label');
    await label.waitFor();
    const first = await label.textContent();
    expect(first).toMatch(/^(\d+ \/ \d+ samples|waiting)$/);
    // The page polls: the count moves without a reload.
    await page.waitForFunction((before) => (globalThis as unknown as InPage).document.querySelector('#run-summary .progress-label')?.textContent !== before, first, { timeout: 30_000 });
    expect(await page.locator('#run-summary [role=progressbar]').getAttribute('aria-valuenow')).toMatch(/^\d+$/);
    await keep('run-running');
    // Cancelled from the page, after a confirmation in the page; then the page offers to delete it instead.
    await page.click('#cancel-run');
    expect(await page.locator('#run-actions .confirm').textContent()).toContain('Cancel this run?');
    await page.click('#confirm-cancel');
    await page.waitForSelector('#run-summary .badge-cancelled', { timeout: 15_000 });
    expect(await page.locator('#run-summary .progress').count()).toBe(0);
    await page.waitForSelector('#delete-run');
    expect(await page.locator('#cancel-run').count()).toBe(0);
    expect((await client.getRun(running.id)).status).toBe('cancelled');
    runs.cancelled = running.id;
  });

  it('filters the runs list by status and model, in the URL: a filtered list can be linked, and Back steps back', async () => {
    const listed = async () => Promise.all((await page.locator('#runs-table tbody tr').all()).map((tr) => tr.getAttribute('data-run-id')));
    const succeeded = (await api<{ runs: RunJson[] }>('/v1/runs?status=succeeded')).runs;
    expect(succeeded.length).toBeGreaterThan(3);
    await page.goto(ui('#/runs'));
    await page.waitForSelector('#runs-table');
    await page.selectOption('select[name=status]', 'succeeded');
    await page.waitForFunction(() => (globalThis as unknown as InPage).location.hash === '#/runs?status=succeeded');
    await rows('#runs-table tbody tr', succeeded.length);
    expect(await listed()).toEqual(succeeded.map((r) => r.id));
    expect(new Set(await page.locator('#runs-table tbody tr td:nth-child(5)').allTextContents())).toEqual(new Set(['succeeded']));

    await page.selectOption('select[name=model]', 'sim:oracle');
    await rows('#runs-table tbody tr', 1);
    expect(await listed()).toEqual([runs.oracle!.id]);
    expect(page.url()).toMatch(/#\/runs\?model=sim%3Aoracle&status=succeeded$/);

    // Back: the status filter alone again, its controls showing it.
    await page.goBack();
    await rows('#runs-table tbody tr', succeeded.length);
    expect(await page.locator('select[name=model]').inputValue()).toBe('');
    expect(await page.locator('select[name=status]').inputValue()).toBe('succeeded');

    // A link to a filtered list opens filtered: the cancelled run of sim:oracle only.
    await page.goto(ui('#/runs?status=cancelled&model=sim:oracle'));
    await rows('#runs-table tbody tr', 1);
    expect(await listed()).toEqual([runs.cancelled!]);
    expect(await page.locator('#runs-table tbody tr td:nth-child(5)').textContent()).toBe('cancelled');
    expect(await page.locator('select[name=status]').inputValue()).toBe('cancelled');
    expect(await page.locator('select[name=model]').inputValue()).toBe('sim:oracle');

    // A suite run's id (no run here belongs to this one) narrows the list too, and stays in the URL.
    const suite = '00000000-0000-4000-8000-00000000c0de';
    await page.fill('input[name=suite]', suite);
    await page.press('input[name=suite]', 'Enter');
    await page.waitForSelector('p.empty');
    expect(page.url()).toContain(`suite=${suite}`);
    expect(await page.textContent('p.empty')).toBe('No run matches these filters.');
  });

  it(`pages through a ${BIG_RUN_SAMPLES}-sample run quickly, failed filter included`, async () => {
    const timings: Record<string, number> = {};
    const timed = async (name: string, action: () => Promise<unknown>) => {
      const start = performance.now();
      await action();
      timings[name] = Math.round(performance.now() - start);
    };
    await timed('open run page', async () => {
      await page.goto(ui(`#/runs/${runs.big!}`));
      await rows('#samples-table tbody tr', 50);
    });
    expect(await page.textContent('#counts')).toContain('10,000 samples');
    // The per-group breakdown shows under the metrics, groups in stored order.
    expect(await page.textContent('#groups')).toMatch(/By group \(2\)[\s\S]*even[\s\S]*0\.0%[\s\S]*5,000[\s\S]*odd[\s\S]*100\.0%[\s\S]*5,000/);
    await timed('failed filter', async () => {
      await page.click('[data-filter=failed]');
      await rows('#samples-table tbody tr.failed', 50);
    });
    let firstItem = await page.locator('#samples-table tbody tr td').first().textContent();
    for (let p = 2; p <= 4; p++) {
      await timed(`failed page ${p}`, async () => {
        await page.click('[data-testid=next-page]');
        await page.waitForFunction((before) => (globalThis as unknown as InPage).document.querySelector('#samples-table tbody tr td')?.textContent !== before, firstItem);
      });
      firstItem = await page.locator('#samples-table tbody tr td').first().textContent();
      expect(Number(firstItem) % 2).toBe(0);
    }
    expect(firstItem).toBe(String(2 * 50 * 3));
    await timed('previous page', async () => {
      await page.click('[data-testid=prev-page]');
      await page.waitForFunction(() => (globalThis as unknown as InPage).document.querySelector('#samples-table tbody tr td')?.textContent === '200');
    });
    // The earlier pages' cursors survive a reload (this tab's sessionStorage): Previous still steps back one page.
    await page.reload();
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.querySelector('#samples-table tbody tr td')?.textContent === '200');
    await page.click('[data-testid=prev-page]');
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.querySelector('#samples-table tbody tr td')?.textContent === '100');
    const api0 = performance.now();
    await api(`/v1/runs/${runs.big!}/samples?status=scored&passed=false&limit=50`);
    timings['API failed page'] = Math.round(performance.now() - api0);
    console.log(`web UI on a ${BIG_RUN_SAMPLES}-sample run (ms, shared 2-core machine, noisy): ${JSON.stringify(timings)}`);
    // Generous bounds for a loaded machine: what matters is that no step walks the whole run.
    for (const [name, ms] of Object.entries(timings)) expect(ms, name).toBeLessThan(5_000);
  });

  it('deletes a finished run from its page after asking, and goes back to the list where it is gone', async () => {
    const finished = await waitFinal(client, (await client.createRun({ model: 'sim:echo', benchmark: 'humaneval', limit: 2 })).id);
    await page.goto(ui(`#/runs/${finished.id}`));
    await page.waitForSelector('#delete-run');
    expect(await page.locator('#cancel-run').count()).toBe(0);
    // Asked first, in the page; "Keep it" leaves everything as it was.
    expect(await page.locator('#run-actions .confirm').isVisible()).toBe(false);
    await page.click('#delete-run');
    expect(await page.locator('#run-actions .confirm').textContent()).toContain('Delete this run and its 2 samples? This cannot be undone.');
    await page.click('#keep-run');
    expect(await page.locator('#run-actions .confirm').isVisible()).toBe(false);
    expect((await client.getRun(finished.id)).id).toBe(finished.id);

    await page.click('#delete-run');
    await keep('run-delete-confirm');
    await page.click('#confirm-delete');
    await page.waitForSelector('#runs-table');
    expect(page.url()).toMatch(/#\/runs$/);
    expect(await page.locator(`tr[data-run-id="${runs.oracle!.id}"]`).count()).toBe(1);
    expect(await page.locator(`tr[data-run-id="${finished.id}"]`).count()).toBe(0);
    const gone = await fetch(`${platform.gatewayUrl}/v1/runs/${finished.id}`, { headers: { authorization: `Bearer ${platform.apiKey}` } });
    expect(gone.status).toBe(404);
  });

  it("shows the API's refusal as it came: a schedule's baseline run, and a viewer's key in a session that predates roles", async () => {
    // A schedule created through the REST API with the wrong run as its fixed baseline.
    const created = await fetch(`${platform.gatewayUrl}/v1/schedules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'weekly-baseline', cron: '0 4 * * 0', model: 'sim:wrong', benchmarks: ['humaneval'], baseline: runs.wrong!.id, limit: 10 }),
    });
    expect(created.status).toBe(201);
    const { schedule } = (await created.json()) as { schedule: { id: string } };
    await page.goto(ui(`#/runs/${runs.wrong!.id}`));
    await page.click('#delete-run');
    await page.click('#confirm-delete');
    const refusal = page.locator('#run-actions .error');
    await refusal.waitFor();
    // Word for word what the API answers.
    const answer = await fetch(`${platform.gatewayUrl}/v1/runs/${runs.wrong!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${platform.apiKey}` } });
    expect(answer.status).toBe(409);
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    expect(error.message).toContain(`is the baseline of schedule "weekly-baseline" (${schedule.id})`);
    expect(await refusal.textContent()).toBe(`${error.code}: ${error.message}`);
    await keep('run-delete-refused');
    expect(page.url()).toContain(`#/runs/${runs.wrong!.id}`);
    expect(await page.locator('#delete-run').isVisible()).toBe(true);
    expect((await client.getRun(runs.wrong!.id)).status).toBe('succeeded');

    // A session kept before the UI knew roles (a key, no role): the buttons are offered and the API's refusal shown.
    const viewer = await client.createKey({ name: 'web-ui-viewer', role: 'viewer' });
    await page.evaluate((key) => {
      const storage = (globalThis as unknown as InPage).sessionStorage;
      storage.setItem('lemur.apiKey', key);
      for (const name of ['lemur.team', 'lemur.role']) storage.removeItem(name);
    }, viewer.secret);
    await page.goto(ui(`#/runs/${runs.big!}`));
    await page.click('#delete-run');
    await page.click('#confirm-delete');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/^PERMISSION_DENIED: this needs the admin role; key lmr_\w+ has viewer$/);
    expect(await page.locator('#whoami').isVisible()).toBe(false);
    expect((await client.getRun(runs.big!)).id).toBe(runs.big);
    await logIn(platform.apiKey);
  });

  it("offers each key only what its role may do, and shows the key's team and role in the top bar", async () => {
    const running = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', concurrency: 1 });
    const actions = async (runId: string, active: boolean) => {
      await page.goto(ui(`#/runs/${runId}`));
      await page.waitForSelector(active ? '#run-summary .progress-label' : '#samples-table');
      return page.locator('#run-actions button').evaluateAll((buttons) => buttons.map((b) => (b as unknown as { id: string }).id));
    };
    expect(await page.locator('#whoami').textContent()).toBe('local · admin');
    expect(await actions(running.id, true)).toEqual(['cancel-run', 'confirm-cancel', 'keep-run']);
    expect(await actions(runs.big!, false)).toEqual(['delete-run', 'confirm-delete', 'keep-run']);

    await logIn((await client.createKey({ name: 'web-ui-runner', role: 'runner' })).secret);
    expect(await page.locator('#whoami').textContent()).toBe('local · runner');
    expect(await actions(running.id, true)).toEqual(['cancel-run', 'confirm-cancel', 'keep-run']);
    expect(await actions(runs.big!, false)).toEqual([]);

    await logIn((await client.createKey({ name: 'web-ui-viewer-2', role: 'viewer' })).secret);
    expect(await page.locator('#whoami').textContent()).toBe('local · viewer');
    await keep('run-viewer');
    expect(await actions(running.id, true)).toEqual([]);
    // The page is otherwise the same: the summary and the samples are there.
    expect(await page.locator('#run-summary h1').textContent()).toBe('sim:oracle on gsm8k');
    expect(await actions(runs.big!, false)).toEqual([]);

    await client.cancelRun(running.id);
    await logIn(platform.apiKey);
    expect(await page.locator('#whoami').textContent()).toBe('local · admin');
  });

  it('logs out: the key leaves the tab and the pages ask for it again', async () => {
    await page.click('#logout');
    await page.waitForSelector('#api-key');
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem('lemur.apiKey'))).toBeNull();
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem('lemur.role'))).toBeNull();
    expect(await page.locator('#whoami').isVisible()).toBe(false);
    await page.goto(ui(`#/runs/${runs.oracle!.id}`));
    await page.waitForSelector('#api-key');
  });
});
