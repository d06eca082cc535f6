// GET /v1/runs/:id/export and /v1/schedules over HTTP, against the in-memory eval service on real gRPC.
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config/gateway.config';
import { startGateway, type RunningGateway } from '../src/gateway.app';
import { responseSchemas } from '../src/runs/run-response.schema';
import { FakePlatformServer } from './fake-platform.grpc-server';
import { TestApiKeys } from './test-api-keys';

let db: TestDatabase;
let keys: TestApiKeys;
let fake: FakePlatformServer;
let gateway: RunningGateway;
let admin: string;
let runId: string;

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

beforeAll(async () => {
  db = await createTestDatabase();
  keys = new TestApiKeys(db.url);
  fake = await FakePlatformServer.start();
  gateway = await startGateway(loadGatewayConfig({ DATABASE_URL: db.url, GATEWAY_PORT: '0', EVAL_ADDR: fake.address, INFERENCE_ADDR: fake.address, LOG_LEVEL: 'silent' }));
  admin = await keys.key('exports', 'admin');
  const created = await call('POST', '/v1/runs', { model: 'sim:oracle', benchmark: 'gsm8k', limit: 5 });
  runId = (JSON.parse(created.text) as { run: { id: string } }).run.id;
});

afterAll(async () => {
  await gateway?.close();
  await fake?.stop();
  await keys?.close();
  await db?.drop();
});

describe('GET /v1/runs/:id/export', () => {
  it('streams JSON lines, one sample each, as the samples API shows them', async () => {
    const r = await call('GET', `/v1/runs/${runId}/export`);
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="run-${runId}.jsonl"`);
    const lines = r.text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toHaveLength(5);
    for (const line of lines) responseSchemas.Sample.strict().parse(line);
    const paged = JSON.parse((await call('GET', `/v1/runs/${runId}/samples?limit=10`)).text) as { samples: unknown[] };
    expect(lines).toEqual(paged.samples);
  });

  it('streams RFC 4180 CSV with a header row', async () => {
    const r = await call('GET', `/v1/runs/${runId}/export?format=csv`);
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parse(r.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row['itemIndex'])).toEqual(['0', '1', '2', '3', '4']);
    expect(rows[0]).toMatchObject({ status: 'scored', score: '1', completion: 'The answer is 42.' });
    expect(rows[1]).toMatchObject({ status: 'errored', score: '', error: 'sandbox timed out after 10s' });
  });

  it('refuses an unknown format and answers 404 for a missing run', async () => {
    const bad = await call('GET', `/v1/runs/${runId}/export?format=xlsx`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', field: 'format' } });
    const missing = await call('GET', '/v1/runs/00000000-0000-4000-8000-000000000000/export');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ error: { code: 'RUN_NOT_FOUND' } });
  });
});

describe('/v1/schedules', () => {
  it('creates, lists and deletes schedules, recorded in the audit log', async () => {
    const created = await call('POST', '/v1/schedules', {
      name: 'nightly',
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      model: 'sim:oracle',
      benchmarks: ['gsm8k', 'humaneval'],
      webhookUrl: 'https://hooks.example.com/lemur',
      limit: 50,
      seed: 7,
    });
    expect(created.status, created.text).toBe(201);
    const { schedule, webhookSecret } = responseSchemas.CreatedScheduleEnvelope.parse(JSON.parse(created.text));
    // The webhook's signing secret is in the create response only.
    expect(webhookSecret).toMatch(/^whsec_/);
    expect(schedule).toMatchObject({ name: 'nightly', baseline: 'previous', enabled: true, config: { limit: 50, samples: 1, seed: 7 } });
    expect(fake.schedules.at(-1)).toMatchObject({ team: 'exports', timezone: 'Europe/Berlin', webhookUrl: 'https://hooks.example.com/lemur' });
    expect(schedule.lastSkipReason).toBeNull();
    // The eval service's scheduler held the schedule's runs back: the listing says why.
    fake.schedules.at(-1)!.lastSkipReason = 'team exports has 2 run(s) queued or running, its quota is 2; wait for one to finish or cancel one';
    const listed = await call('GET', '/v1/schedules');
    expect(listed.text).not.toContain(webhookSecret!);
    expect(listed.text).not.toMatch(/secret/i);
    const list = responseSchemas.ScheduleList.parse(JSON.parse(listed.text));
    expect(list.schedules.map((s) => [s.id, s.lastSkipReason])).toEqual([[schedule.id, fake.schedules.at(-1)!.lastSkipReason]]);
    const deleted = await call('DELETE', `/v1/schedules/${schedule.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.text).not.toContain(webhookSecret!);
    expect((await call('DELETE', `/v1/schedules/${schedule.id}`)).status).toBe(404);
    const audit = JSON.parse((await call('GET', '/v1/audit')).text) as { entries: { action: string; target: string }[] };
    expect(audit.entries.slice(0, 2).map((e) => [e.action, e.target])).toEqual([
      ['schedule.delete', schedule.id],
      ['schedule.create', schedule.id],
    ]);
  });

  it('validates the body, naming the field', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ name: 'x', cron: '0 3 * * *', model: 'm' }, 'benchmarks', /./],
      [{ name: 'x', cron: '0 3 * * *', model: 'm', benchmarks: ['gsm8k'], webhookUrl: 'ftp://x' }, 'webhookUrl', /absolute http\(s\) URL/],
      [{ name: 'x', cron: '0 3 * * *', model: 'm', benchmarks: ['gsm8k'], webhookUrl: 'hooks.example.com/lemur' }, 'webhookUrl', /absolute http\(s\) URL/],
      [{ name: 'x', cron: '0 3 * * *', model: 'm', benchmarks: ['gsm8k'], webhookUrl: 'https://ops:hunter2@hooks.example.com/lemur' }, 'webhookUrl', /must not carry credentials/],
      [{ name: 'x', cron: '0 3 * * *', model: 'm', benchmarks: ['gsm8k'], webhookUrl: 'https://ops@hooks.example.com/lemur' }, 'webhookUrl', /must not carry credentials/],
      [{ name: 'x', cron: '0 3 * * *', model: 'm', benchmarks: ['gsm8k'], extra: 1 }, 'extra', /unknown field/],
    ];
    for (const [body, field, message] of cases) {
      const r = await call('POST', '/v1/schedules', body);
      expect(r.status, r.text).toBe(400);
      const { error } = JSON.parse(r.text) as { error: { field: string; message: string } };
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
    }
  });
});
