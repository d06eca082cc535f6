// Tenancy and security of every route: keys, roles, team isolation, audit log, quotas, the local bootstrap key.
// The route table below must name every route the server registers (checked against Fastify's own list), so a new
// route without a tenancy decision fails here.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authResponseSchemas } from '../src/auth/auth.schema';
import { loadGatewayConfig } from '../src/config/gateway.config';
import { startGateway, type RunningGateway } from '../src/gateway.app';
import { FakePlatformServer } from './fake-platform.grpc-server';
import { TestApiKeys } from './test-api-keys';

type Role = 'viewer' | 'runner' | 'admin';

interface Fixture {
  /** Team alpha's resources that other teams must not see. */
  runA: string;
  runA2: string;
  /** A finished run of alpha's: the one the table's admin call deletes. */
  runDoneA: string;
  keyA: string;
  scheduleA: string;
  sampleA: string;
  memberA: string;
  suiteA: string;
}

interface RouteCase {
  /** `public`: no key needed; `resource`: names one of alpha's resources (404 for others); `team`: acts on the caller's team. */
  kind: 'public' | 'resource' | 'team';
  role?: Role;
  path: (f: Fixture) => string;
  body?: unknown;
}

// Fastify's pattern for each route -> how to call it. Keys are `METHOD url-pattern` exactly as registered.
const ROUTES: Record<string, RouteCase> = {
  'GET /health': { kind: 'public', path: () => '/health' },
  'GET /metrics': { kind: 'public', path: () => '/metrics' },
  'GET /openapi.json': { kind: 'public', path: () => '/openapi.json' },
  // The web UI's files are public; every API call the UI makes needs the user's key (the routes below).
  'GET /': { kind: 'public', path: () => '/' },
  'GET /ui': { kind: 'public', path: () => '/ui' },
  'GET /ui/*': { kind: 'public', path: () => '/ui/app.js' },
  'GET /v1/runs/:id': { kind: 'resource', role: 'viewer', path: (f) => `/v1/runs/${f.runA}` },
  'GET /v1/runs/:id/samples': { kind: 'resource', role: 'viewer', path: (f) => `/v1/runs/${f.runA}/samples` },
  'GET /v1/runs/:id/samples/:sampleId': { kind: 'resource', role: 'viewer', path: (f) => `/v1/runs/${f.runA}/samples/${f.sampleA}` },
  'DELETE /v1/runs/:id': { kind: 'resource', role: 'admin', path: (f) => `/v1/runs/${f.runDoneA}` },
  'POST /v1/runs/:id/cancel': { kind: 'resource', role: 'runner', path: (f) => `/v1/runs/${f.runA}/cancel` },
  'POST /v1/runs/:id/rescore': { kind: 'resource', role: 'runner', path: (f) => `/v1/runs/${f.runA}/rescore` },
  'POST /v1/runs/:id/retry-errors': { kind: 'resource', role: 'runner', path: (f) => `/v1/runs/${f.runA}/retry-errors` },
  'GET /v1/runs/:id/export': { kind: 'resource', role: 'viewer', path: (f) => `/v1/runs/${f.runA}/export?format=csv` },
  'DELETE /v1/schedules/:id': { kind: 'resource', role: 'admin', path: (f) => `/v1/schedules/${f.scheduleA}` },
  'GET /v1/compare': { kind: 'resource', role: 'viewer', path: (f) => `/v1/compare?a=${f.runA}&b=${f.runA2}` },
  'DELETE /v1/keys/:id': { kind: 'resource', role: 'admin', path: (f) => `/v1/keys/${f.keyA}` },
  'DELETE /v1/members/:id': { kind: 'resource', role: 'admin', path: (f) => `/v1/members/${f.memberA}` },
  'GET /v1/suites/:id': { kind: 'resource', role: 'viewer', path: (f) => `/v1/suites/${f.suiteA}` },
  'POST /v1/suites': { kind: 'team', role: 'runner', path: () => '/v1/suites', body: { suite: 'lemur-paper', model: 'sim:oracle', limit: 2 } },
  'POST /v1/runs': { kind: 'team', role: 'runner', path: () => '/v1/runs', body: { model: 'sim:oracle', benchmark: 'gsm8k', limit: 2 } },
  'GET /v1/runs': { kind: 'team', role: 'viewer', path: () => '/v1/runs' },
  'GET /v1/benchmarks': { kind: 'team', role: 'viewer', path: () => '/v1/benchmarks' },
  'GET /v1/models': { kind: 'team', role: 'viewer', path: () => '/v1/models' },
  // Inference is not part of the fake, so an authorized call ends in a 500 there; the auth answers come first.
  'POST /v1/chat/completions': { kind: 'team', role: 'runner', path: () => '/v1/chat/completions', body: { model: 'sim:oracle', messages: [{ role: 'user', content: 'hi' }] } },
  'POST /v1/completions': { kind: 'team', role: 'runner', path: () => '/v1/completions', body: { model: 'sim:oracle', prompt: 'hi' } },
  'POST /v1/keys': { kind: 'team', role: 'admin', path: () => '/v1/keys', body: { name: 'made in the table test', role: 'viewer' } },
  'GET /v1/keys': { kind: 'team', role: 'admin', path: () => '/v1/keys' },
  'POST /v1/members': { kind: 'team', role: 'admin', path: () => '/v1/members', body: { email: 'table@example.com', role: 'viewer' } },
  'GET /v1/members': { kind: 'team', role: 'admin', path: () => '/v1/members' },
  'GET /v1/me': { kind: 'team', role: 'viewer', path: () => '/v1/me' },
  'GET /v1/audit': { kind: 'team', role: 'admin', path: () => '/v1/audit' },
  'POST /v1/schedules': {
    kind: 'team',
    role: 'admin',
    path: () => '/v1/schedules',
    body: { name: 'table-nightly', cron: '0 3 * * *', model: 'sim:oracle', benchmarks: ['gsm8k'] },
  },
  'GET /v1/schedules': { kind: 'team', role: 'viewer', path: () => '/v1/schedules' },
  'GET /v1/quotas': { kind: 'team', role: 'viewer', path: () => '/v1/quotas' },
  'PUT /v1/quotas': { kind: 'team', role: 'admin', path: () => '/v1/quotas', body: {} },
};

const BELOW: Record<Role, Role | undefined> = { viewer: undefined, runner: 'viewer', admin: 'runner' };

let db: TestDatabase;
let keys: TestApiKeys;
let fake: FakePlatformServer;
let gateway: RunningGateway;
let fixture: Fixture;

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

const codeOf = (r: { json: unknown }) => (r.json as { error?: { code?: string } } | undefined)?.error?.code;

beforeAll(async () => {
  db = await createTestDatabase();
  keys = new TestApiKeys(db.url);
  fake = await FakePlatformServer.start();
  gateway = await startGateway(loadGatewayConfig({ DATABASE_URL: db.url, GATEWAY_PORT: '0', EVAL_ADDR: fake.address, INFERENCE_ADDR: fake.address, LOG_LEVEL: 'silent' }));
  const alpha = await keys.key('alpha', 'admin');
  const runA = ((await call('POST', '/v1/runs', alpha, { model: 'sim:oracle', benchmark: 'gsm8k' })).json as { run: { id: string } }).run.id;
  const runA2 = ((await call('POST', '/v1/runs', alpha, { model: 'sim:wrong', benchmark: 'gsm8k' })).json as { run: { id: string } }).run.id;
  const created = await call('POST', '/v1/keys', alpha, { name: 'alpha ci', role: 'runner' });
  expect(created.status, created.text).toBe(201);
  const schedule = await call('POST', '/v1/schedules', alpha, { name: 'alpha-nightly', cron: '0 3 * * *', model: 'sim:oracle', benchmarks: ['gsm8k'] });
  expect(schedule.status, schedule.text).toBe(201);
  const member = await call('POST', '/v1/members', alpha, { email: 'alpha-member@example.com', role: 'runner' });
  expect(member.status, member.text).toBe(201);
  const suite = await call('POST', '/v1/suites', alpha, { suite: 'lemur-paper', model: 'sim:oracle', limit: 2 });
  expect(suite.status, suite.text).toBe(201);
  fixture = {
    runA,
    runA2,
    runDoneA: fake.addFinishedRun('alpha').id!,
    keyA: (created.json as { key: { id: string } }).key.id,
    scheduleA: (schedule.json as { schedule: { id: string } }).schedule.id,
    sampleA: fake.samples.get(runA)![0]!.id!,
    memberA: (member.json as { member: { id: string } }).member.id,
    suiteA: (suite.json as { suiteRun: { id: string } }).suiteRun.id,
  };
});

afterAll(async () => {
  await gateway?.close();
  await fake?.stop();
  await keys?.close();
  await db?.drop();
});

describe('every route', () => {
  it('is in the route table, and the table names no route the server lacks', () => {
    const registered = gateway.routes.map((r) => `${r.method} ${r.url}`);
    expect([...new Set(registered)].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('is in the OpenAPI document with the role the server enforces', async () => {
    const doc = (await call('GET', '/openapi.json', null)).json as { paths: Record<string, Record<string, { 'x-lemur-role': string }>> };
    for (const [route, c] of Object.entries(ROUTES)) {
      const [method, url] = route.split(' ') as [string, string];
      const op = doc.paths[url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}')]?.[method.toLowerCase()];
      expect(op, route).toBeDefined();
      expect(op!['x-lemur-role'], route).toBe(c.kind === 'public' ? 'public' : c.role);
    }
  });

  it.each(Object.entries(ROUTES))('%s: without a key, 401 unless public', async (route, c) => {
    const [method] = route.split(' ') as [string];
    const response = await call(method, c.path(fixture), null, c.body);
    if (c.kind === 'public') {
      expect(response.status, response.text).not.toBe(401);
      return;
    }
    expect(response.status, response.text).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="lemur"');
    // The same for a key that does not exist.
    const forged = await call(method, c.path(fixture), `lmr_${'a'.repeat(12)}_${'b'.repeat(43)}`, c.body);
    expect(forged.status).toBe(401);
    expect((forged.json as { error: { message: string } }).error.message).toMatch(/unknown API key lmr_aaaaaaaaaaaa/);
  });

  it.each(Object.entries(ROUTES).filter(([, c]) => c.kind !== 'public'))(
    "%s: with another team's admin key, alpha's resources are 404 and nothing of alpha shows",
    async (route, c) => {
      const [method] = route.split(' ') as [string];
      const response = await call(method, c.path(fixture), await keys.key('bravo', 'admin'), c.body);
      if (c.kind === 'resource') {
        expect(response.status, response.text).toBe(404);
        expect(response.text).not.toContain('alpha');
      } else {
        expect([401, 403, 404]).not.toContain(response.status);
        for (const secret of [fixture.runA, fixture.runA2, fixture.keyA, 'alpha']) expect(response.text, route).not.toContain(secret);
      }
    },
  );

  it.each(Object.entries(ROUTES).filter(([, c]) => c.kind !== 'public'))('%s: a key one role short is 403, the role itself passes', async (route, c) => {
    const [method] = route.split(' ') as [string];
    const below = BELOW[c.role!];
    if (below) {
      const refused = await call(method, c.path(fixture), await keys.key('alpha', below), c.body);
      expect(refused.status, refused.text).toBe(403);
      expect(codeOf(refused)).toBe('PERMISSION_DENIED');
      expect((refused.json as { error: { message: string } }).error.message).toContain(`needs the ${c.role} role`);
    }
    // Revoking through the table would kill the fixture's key: the revoke route gets its own test below.
    if (route === 'DELETE /v1/keys/:id') return;
    const allowed = await call(method, c.path(fixture), await keys.key('alpha', c.role!), c.body);
    expect([401, 403]).not.toContain(allowed.status);
  });
});

describe('API keys', () => {
  it('shows the secret once, lists keys without it, and revokes them with immediate effect', async () => {
    const admin = await keys.key('keys-team', 'admin');
    const created = await call('POST', '/v1/keys', admin, { name: 'nightly', role: 'runner', expiresInDays: 30 });
    expect(created.status, created.text).toBe(201);
    const { key, secret } = authResponseSchemas.CreatedApiKey.strict().parse(created.json);
    expect(secret).toMatch(new RegExp(`^${key.id}_[A-Za-z0-9_-]{43}$`));
    expect(key).toMatchObject({ name: 'nightly', role: 'runner', revokedAt: null, lastUsedAt: null });
    expect(Date.parse(key.expiresAt!) - Date.now()).toBeGreaterThan(29.9 * 86_400_000);

    expect((await call('GET', '/v1/runs', secret)).status).toBe(200);
    // The use is recorded off the request path (no write before the answer), so it shows up shortly after.
    let listed = await call('GET', '/v1/keys', admin);
    let mine = authResponseSchemas.ApiKeyList.parse(listed.json).keys.find((k) => k.id === key.id)!;
    for (const until = Date.now() + 10_000; mine.lastUsedAt === null && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 100));
      listed = await call('GET', '/v1/keys', admin);
      mine = authResponseSchemas.ApiKeyList.parse(listed.json).keys.find((k) => k.id === key.id)!;
    }
    expect(listed.text).not.toContain(secret.slice(key.id.length + 1));
    expect(Date.now() - Date.parse(mine.lastUsedAt!)).toBeLessThan(60_000);
    const row = await keys.db.apiKey.findUniqueOrThrow({ where: { publicId: key.id.slice(4) } });
    expect(Buffer.from(row.secretHash).toString('hex')).not.toContain(Buffer.from(secret).toString('hex'));

    const revoked = await call('DELETE', `/v1/keys/${key.id}`, admin);
    expect(revoked.status, revoked.text).toBe(200);
    expect(authResponseSchemas.ApiKeyEnvelope.parse(revoked.json).key.revokedAt).not.toBeNull();
    const refused = await call('GET', '/v1/runs', secret);
    expect(refused.status).toBe(401);
    expect((refused.json as { error: { message: string } }).error.message).toMatch(new RegExp(`${key.id} was revoked at`));
    expect((await call('DELETE', '/v1/keys/lmr_zzzzzzzzzzzz', admin)).status).toBe(404);
    expect(codeOf(await call('DELETE', '/v1/keys/nope', admin))).toBe('INVALID_ARGUMENT');
  });

  it('refuses an expired key', async () => {
    const expired = await keys.create('keys-team', 'admin', { expiresAt: new Date(Date.now() - 1_000) });
    const response = await call('GET', '/v1/runs', expired);
    expect(response.status).toBe(401);
    expect((response.json as { error: { message: string } }).error.message).toMatch(/expired at/);
  });

  it("answers GET /v1/me with the caller's own key, team and role; a missing or revoked key is 401", async () => {
    for (const [team, role] of [['whoami-a', 'viewer'], ['whoami-a', 'runner'], ['whoami-b', 'admin']] as const) {
      const token = await keys.key(team, role);
      const me = await call('GET', '/v1/me', token);
      expect(me.status, me.text).toBe(200);
      expect(authResponseSchemas.Me.strict().parse(me.json)).toEqual({ key: token.slice(0, 16), team, role });
    }
    expect((await call('GET', '/v1/me', null)).status).toBe(401);
    const admin = await keys.key('whoami-b', 'admin');
    const { key, secret } = authResponseSchemas.CreatedApiKey.parse((await call('POST', '/v1/keys', admin, { name: 'short-lived', role: 'runner' })).json);
    expect(authResponseSchemas.Me.parse((await call('GET', '/v1/me', secret)).json)).toEqual({ key: key.id, team: 'whoami-b', role: 'runner' });
    expect((await call('DELETE', `/v1/keys/${key.id}`, admin)).status).toBe(200);
    const revoked = await call('GET', '/v1/me', secret);
    expect(revoked.status, revoked.text).toBe(401);
    expect((revoked.json as { error: { message: string } }).error.message).toMatch(new RegExp(`${key.id} was revoked at`));
  });

  it('validates key creation', async () => {
    const admin = await keys.key('keys-team', 'admin');
    expect((await call('POST', '/v1/keys', admin, { name: 'x', role: 'owner' })).status).toBe(400);
    expect((await call('POST', '/v1/keys', admin, { role: 'viewer' })).status).toBe(400);
    const missing = await call('POST', '/v1/keys', admin, { name: 'x', memberId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.status).toBe(404);
    expect(codeOf(missing)).toBe('MEMBER_NOT_FOUND');
    const member = await call('POST', '/v1/members', admin, { email: 'ada@example.com', role: 'runner' });
    expect(member.status, member.text).toBe(201);
    const memberId = (member.json as { member: { id: string } }).member.id;
    const issued = await call('POST', '/v1/keys', admin, { name: 'ada laptop', memberId });
    expect((issued.json as { key: { memberId: string; role: string } }).key).toMatchObject({ memberId, role: 'runner' });
  });
});

describe('members', () => {
  it('removing a member revokes its keys at once; lowering its role lowers its keys; both are audited', async () => {
    const admin = await keys.key('members-team', 'admin');
    const added = await call('POST', '/v1/members', admin, { email: 'grace@example.com', role: 'admin' });
    expect(added.status, added.text).toBe(201);
    const memberId = (added.json as { member: { id: string } }).member.id;
    const issue = async (name: string) => authResponseSchemas.CreatedApiKey.parse((await call('POST', '/v1/keys', admin, { name, memberId })).json);
    const laptop = await issue('grace laptop');
    const ci = await issue('grace ci');
    expect(laptop.key.role).toBe('admin');
    // The key works, and is cached by the gateway.
    expect((await call('GET', '/v1/keys', laptop.secret)).status).toBe(200);

    // A downgrade to viewer lowers both keys at once, cache or not.
    expect((await call('POST', '/v1/members', admin, { email: 'grace@example.com', role: 'viewer' })).status).toBe(201);
    const lowered = await call('GET', '/v1/keys', laptop.secret);
    expect(lowered.status).toBe(403);
    expect((await call('GET', '/v1/runs', laptop.secret)).status).toBe(200);
    const listed = authResponseSchemas.ApiKeyList.parse((await call('GET', '/v1/keys', admin)).json).keys;
    expect(listed.filter((k) => k.memberId === memberId).map((k) => k.role)).toEqual(['viewer', 'viewer']);
    // Nor can a new key of the member hold more than the member.
    const tooMuch = await call('POST', '/v1/keys', admin, { name: 'grace admin', memberId, role: 'admin' });
    expect(tooMuch.status, tooMuch.text).toBe(400);
    expect((tooMuch.json as { error: { message: string } }).error.message).toMatch(/cannot hold more than the member's role \(viewer\)/);

    const removed = await call('DELETE', `/v1/members/${memberId}`, admin);
    expect(removed.status, removed.text).toBe(200);
    expect((removed.json as { revokedKeys: string[] }).revokedKeys.sort()).toEqual([laptop.key.id, ci.key.id].sort());
    for (const secret of [laptop.secret, ci.secret]) expect((await call('GET', '/v1/runs', secret)).status).toBe(401);
    expect((await call('GET', '/v1/members', admin)).text).not.toContain('grace@example.com');
    // Gone is gone; a malformed id is a 400.
    expect(codeOf(await call('DELETE', `/v1/members/${memberId}`, admin))).toBe('MEMBER_NOT_FOUND');
    expect((await call('DELETE', '/v1/members/not-a-uuid', admin)).status).toBe(400);

    const { entries } = authResponseSchemas.AuditPage.parse((await call('GET', '/v1/audit?limit=2', admin)).json);
    expect(entries.map((e) => [e.action, e.target])).toEqual([
      ['member.remove', 'grace@example.com'],
      ['member.add', 'grace@example.com'],
    ]);
    expect(entries[1]!.detail).toMatchObject({ role: 'viewer', loweredKeys: expect.arrayContaining([laptop.key.id, ci.key.id]) });
  });
});

describe('audit log', () => {
  it('records who started and cancelled runs and created and revoked keys, for admins of that team only', async () => {
    const admin = await keys.key('audited', 'admin');
    const runner = await keys.key('audited', 'runner');
    const run = ((await call('POST', '/v1/runs', runner, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 3, samples: 2 })).json as { run: { id: string } }).run;
    expect((await call('POST', `/v1/runs/${run.id}/cancel`, runner)).status).toBe(200);
    const key = ((await call('POST', '/v1/keys', admin, { name: 'temp' })).json as { key: { id: string } }).key;
    await call('DELETE', `/v1/keys/${key.id}`, admin);

    const page = await call('GET', '/v1/audit?limit=10', admin);
    expect(page.status, page.text).toBe(200);
    const { entries } = authResponseSchemas.AuditPage.parse(page.json);
    const runnerId = runner.slice(0, 16);
    const adminId = admin.slice(0, 16);
    expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
      ['key.revoke', adminId, key.id],
      ['key.create', adminId, key.id],
      ['run.cancel', runnerId, run.id],
      ['run.start', runnerId, run.id],
    ]);
    expect(entries[3]!.detail).toEqual({ model: 'sim:oracle', benchmark: 'gsm8k', samples: 6 });
    const paged = authResponseSchemas.AuditPage.parse((await call('GET', '/v1/audit?limit=3', admin)).json);
    expect(paged.nextCursor).not.toBeNull();
    const rest = authResponseSchemas.AuditPage.parse((await call('GET', `/v1/audit?limit=3&cursor=${paged.nextCursor!}`, admin)).json);
    expect(rest.entries.map((e) => e.action)).toEqual(['run.start']);
    expect(rest.nextCursor).toBeNull();
  });

  it('records re-scoring and error retries: the new run and its source, the run and how many samples were retried', async () => {
    const admin = await keys.key('reworked', 'admin');
    const runner = await keys.key('reworked', 'runner');
    const source = ((await call('POST', '/v1/runs', runner, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 3 })).json as { run: { id: string } }).run;
    const rescored = await call('POST', `/v1/runs/${source.id}/rescore`, runner);
    expect(rescored.status, rescored.text).toBe(201);
    const rescore = (rescored.json as { run: { id: string; sourceRunId: string | null } }).run;
    expect(rescore.sourceRunId).toBe(source.id);
    const retried = await call('POST', `/v1/runs/${source.id}/retry-errors`, runner);
    expect(retried.status, retried.text).toBe(200);
    expect((retried.json as { retried: number }).retried).toBe(1);
    const again = await call('POST', `/v1/runs/${source.id}/retry-errors`, runner);
    expect(again.status, again.text).toBe(409);
    expect(codeOf(again)).toBe('RUN_STATE_CONFLICT');

    const { entries } = authResponseSchemas.AuditPage.parse((await call('GET', '/v1/audit?limit=3', admin)).json);
    const runnerId = runner.slice(0, 16);
    expect(entries.map((e) => [e.action, e.actor, e.target, e.detail])).toEqual([
      ['run.retry-errors', runnerId, source.id, { retried: 1 }],
      ['run.rescore', runnerId, rescore.id, { sourceRunId: source.id, samples: 2 }],
      ['run.start', runnerId, source.id, { model: 'sim:oracle', benchmark: 'gsm8k', samples: 3 }],
    ]);
  });
});

describe('run deletion', () => {
  it('is for admins: refused to viewers and runners, 409 while active, then 204 and audited with what the run was', async () => {
    const admin = await keys.key('tidy', 'admin');
    const runner = await keys.key('tidy', 'runner');
    const run = ((await call('POST', '/v1/runs', runner, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 3, samples: 2 })).json as { run: { id: string } }).run;
    for (const role of ['viewer', 'runner'] as const) {
      const refused = await call('DELETE', `/v1/runs/${run.id}`, await keys.key('tidy', role));
      expect(refused.status, refused.text).toBe(403);
      expect((refused.json as { error: { message: string } }).error.message).toContain('needs the admin role');
    }
    const active = await call('DELETE', `/v1/runs/${run.id}`, admin);
    expect(active.status, active.text).toBe(409);
    expect(codeOf(active)).toBe('RUN_STATE_CONFLICT');
    expect((active.json as { error: { message: string } }).error.message).toMatch(/cancel it first/);
    expect((await call('GET', `/v1/runs/${run.id}`, runner)).status).toBe(200);

    expect((await call('POST', `/v1/runs/${run.id}/cancel`, runner)).status).toBe(200);
    const deleted = await call('DELETE', `/v1/runs/${run.id}`, admin);
    expect(deleted.status, deleted.text).toBe(204);
    expect(deleted.text).toBe('');
    expect((await call('GET', `/v1/runs/${run.id}`, runner)).status).toBe(404);
    const again = await call('DELETE', `/v1/runs/${run.id}`, admin);
    expect(again.status, again.text).toBe(404);
    expect(codeOf(again)).toBe('RUN_NOT_FOUND');
    expect((await call('DELETE', '/v1/runs/not-a-uuid', admin)).status).toBe(400);

    const { entries } = authResponseSchemas.AuditPage.parse((await call('GET', '/v1/audit?limit=3', admin)).json);
    expect(entries.map((e) => [e.action, e.actor, e.target, e.detail])).toEqual([
      ['run.delete', admin.slice(0, 16), run.id, { model: 'sim:oracle', benchmark: 'gsm8k', status: 'cancelled', samples: 6 }],
      ['run.cancel', runner.slice(0, 16), run.id, null],
      ['run.start', runner.slice(0, 16), run.id, { model: 'sim:oracle', benchmark: 'gsm8k', samples: 6 }],
    ]);
  });
});

describe('quotas', () => {
  async function seedRuns(team: string, runs: { status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED'; samples: number; hoursAgo: number }[]) {
    const teamId = await keys.repo.ensureTeam(team);
    await keys.db.run.createMany({
      data: runs.map((r) => ({
        teamId,
        modelName: 'sim:oracle',
        benchmark: 'gsm8k',
        benchmarkVersion: '1.0.0',
        config: {},
        spec: {},
        status: r.status,
        totalSamples: r.samples,
        createdAt: new Date(Date.now() - r.hoursAgo * 3_600_000),
      })),
    });
  }

  it('answers 429 with Retry-After past the concurrent-run quota, and admins can raise it', async () => {
    const admin = await keys.key('busy', 'admin');
    await seedRuns('busy', [
      { status: 'RUNNING', samples: 10, hoursAgo: 1 },
      { status: 'QUEUED', samples: 10, hoursAgo: 1 },
    ]);
    expect((await call('PUT', '/v1/quotas', admin, { maxConcurrentRuns: 2 })).status).toBe(200);
    const before = fake.createRequests.length;
    const refused = await call('POST', '/v1/runs', admin, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 1 });
    expect(refused.status, refused.text).toBe(429);
    expect(codeOf(refused)).toBe('QUOTA_EXCEEDED');
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(fake.createRequests.length).toBe(before);
    const usage = authResponseSchemas.Quotas.parse((await call('GET', '/v1/quotas', await keys.key('busy', 'viewer'))).json);
    expect(usage.quotas).toMatchObject({ maxConcurrentRuns: 2, activeRuns: 2, samplesLast24h: 20 });
    expect((await call('PUT', '/v1/quotas', admin, { maxConcurrentRuns: 3 })).status).toBe(200);
    expect((await call('POST', '/v1/runs', admin, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 1 })).status).toBe(201);
  });

  it('counts samples per rolling day and says when enough free up', async () => {
    const admin = await keys.key('thrifty', 'admin');
    await seedRuns('thrifty', [
      { status: 'SUCCEEDED', samples: 600, hoursAgo: 30 },
      { status: 'SUCCEEDED', samples: 600, hoursAgo: 20 },
      { status: 'SUCCEEDED', samples: 300, hoursAgo: 2 },
    ]);
    await call('PUT', '/v1/quotas', admin, { maxSamplesPerDay: 1_000 });
    // 900 used in the window; 2 items x 100 samples = 200 more is too many until the 20-hour-old run leaves (in 4 h).
    const refused = await call('POST', '/v1/runs', admin, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 2, samples: 100 });
    expect(refused.status, refused.text).toBe(429);
    const retry = Number(refused.headers.get('retry-after'));
    expect(Math.abs(retry - 4 * 3600)).toBeLessThan(60);
    expect((await call('POST', '/v1/runs', admin, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 1, samples: 100 })).status).toBe(201);
    // null restores the platform default.
    const reset = authResponseSchemas.Quotas.parse((await call('PUT', '/v1/quotas', admin, { maxSamplesPerDay: null })).json);
    expect(reset.quotas.maxSamplesPerDay).toBe(1_000_000);
  });

  it('re-scores with the day\'s samples used up (no model calls), but not past the concurrent-run quota', async () => {
    const admin = await keys.key('rescoring', 'admin');
    const source = ((await call('POST', '/v1/runs', admin, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 3 })).json as { run: { id: string } }).run;
    await seedRuns('rescoring', [{ status: 'SUCCEEDED', samples: 1_000, hoursAgo: 1 }]);
    expect((await call('PUT', '/v1/quotas', admin, { maxSamplesPerDay: 1_000, maxConcurrentRuns: 1 })).status).toBe(200);
    const refused = await call('POST', '/v1/runs', admin, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 1 });
    expect(refused.status, refused.text).toBe(429);
    expect((refused.json as { error: { message: string } }).error.message).toMatch(/daily quota of 1000/);

    const rescored = await call('POST', `/v1/runs/${source.id}/rescore`, admin);
    expect(rescored.status, rescored.text).toBe(201);
    expect(fake.rescoreRequests.at(-1)).toMatchObject({ team: 'rescoring', id: source.id });

    // A re-scoring run still takes a run slot while it runs (workers, and the sandbox for code benchmarks).
    await seedRuns('rescoring', [{ status: 'RUNNING', samples: 3, hoursAgo: 0 }]);
    const before = fake.rescoreRequests.length;
    const busy = await call('POST', `/v1/runs/${source.id}/rescore`, admin);
    expect(busy.status, busy.text).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('30');
    expect((busy.json as { error: { message: string } }).error.message).toMatch(/1 run\(s\) queued or running, its quota is 1/);
    expect(fake.rescoreRequests.length).toBe(before);
  });

  it('admits a retry of errored samples as model calls: a run slot, and the retried samples count toward the day', async () => {
    const admin = await keys.key('retrying', 'admin');
    const start = async () => ((await call('POST', '/v1/runs', admin, { model: 'sim:oracle', benchmark: 'gsm8k', limit: 3 })).json as { run: { id: string } }).run.id;
    const [first, second] = [await start(), await start()];
    await seedRuns('retrying', [{ status: 'SUCCEEDED', samples: 10, hoursAgo: 1 }]);
    expect((await call('PUT', '/v1/quotas', admin, { maxSamplesPerDay: 10 })).status).toBe(200);

    // Each run has one errored sample: with the day's 10 used, retrying it would make 11.
    const refused = await call('POST', `/v1/runs/${first}/retry-errors`, admin);
    expect(refused.status, refused.text).toBe(429);
    expect((refused.json as { error: { message: string } }).error.message).toMatch(/daily quota of 10/);
    expect(refused.headers.get('retry-after')).not.toBeNull();

    expect((await call('PUT', '/v1/quotas', admin, { maxSamplesPerDay: 11 })).status).toBe(200);
    const retried = await call('POST', `/v1/runs/${first}/retry-errors`, admin);
    expect(retried.status, retried.text).toBe(200);
    expect((retried.json as { retried: number }).retried).toBe(1);
    const usage = authResponseSchemas.Quotas.parse((await call('GET', '/v1/quotas', admin)).json);
    expect(usage.quotas.samplesLast24h).toBe(11);
    const full = await call('POST', `/v1/runs/${second}/retry-errors`, admin);
    expect(full.status, full.text).toBe(429);

    // The reopened run needs a run slot like a new one.
    expect((await call('PUT', '/v1/quotas', admin, { maxSamplesPerDay: 1_000, maxConcurrentRuns: 1 })).status).toBe(200);
    await seedRuns('retrying', [{ status: 'RUNNING', samples: 3, hoursAgo: 0 }]);
    const busy = await call('POST', `/v1/runs/${second}/retry-errors`, admin);
    expect(busy.status, busy.text).toBe(429);
    expect((busy.json as { error: { message: string } }).error.message).toMatch(/1 run\(s\) queued or running, its quota is 1/);
    expect((await call('PUT', '/v1/quotas', admin, { maxConcurrentRuns: 2 })).status).toBe(200);
    expect((await call('POST', `/v1/runs/${second}/retry-errors`, admin)).status).toBe(200);
  });
});

describe('inference tokens per minute', () => {
  const quotasOf = (r: { json: unknown }) => authResponseSchemas.Quotas.parse(r.json).quotas;

  it("shows the inference service's limit until an admin sets the team's own, which only that team gets", async () => {
    const admin = await keys.key('metered', 'admin');
    const viewer = await keys.key('metered', 'viewer');
    fake.serviceTokensPerMinute.set('metered', 120_000);
    expect(quotasOf(await call('GET', '/v1/quotas', viewer))).toMatchObject({ tokensPerMinute: 120_000, tokensPerMinuteSource: 'service' });

    const refused = await call('PUT', '/v1/quotas', viewer, { tokensPerMinute: 1 });
    expect(refused.status, refused.text).toBe(403);
    expect((await keys.db.team.findUniqueOrThrow({ where: { name: 'metered' } })).tokensPerMinute).toBeNull();

    const set = await call('PUT', '/v1/quotas', admin, { tokensPerMinute: 5_000 });
    expect(set.status, set.text).toBe(200);
    expect(quotasOf(set)).toMatchObject({ tokensPerMinute: 5_000, tokensPerMinuteSource: 'team' });
    expect(quotasOf(await call('GET', '/v1/quotas', viewer))).toMatchObject({ tokensPerMinute: 5_000, tokensPerMinuteSource: 'team' });
    // The row the inference service reads, and the run quotas left as they were.
    expect(await keys.db.team.findUniqueOrThrow({ where: { name: 'metered' } })).toMatchObject({ tokensPerMinute: 5_000, maxConcurrentRuns: null });
    const other = await keys.key('unmetered', 'viewer');
    expect(quotasOf(await call('GET', '/v1/quotas', other))).toMatchObject({ tokensPerMinute: 0, tokensPerMinuteSource: 'service' });

    // 0 is the team's own "unlimited", not the service's limit; null hands the team back to the service.
    expect(quotasOf(await call('PUT', '/v1/quotas', admin, { tokensPerMinute: 0 }))).toMatchObject({ tokensPerMinute: 0, tokensPerMinuteSource: 'team' });
    expect(quotasOf(await call('PUT', '/v1/quotas', admin, { tokensPerMinute: null }))).toMatchObject({ tokensPerMinute: 120_000, tokensPerMinuteSource: 'service' });
  });

  it('refuses a value that is not a whole number from 0 to 1e9, naming the field and what it takes', async () => {
    const admin = await keys.key('metered-bad', 'admin');
    for (const tokensPerMinute of [-1, 1.5, '600', 1_000_000_001, true]) {
      const bad = await call('PUT', '/v1/quotas', admin, { tokensPerMinute });
      expect(bad.status, `${String(tokensPerMinute)}: ${bad.text}`).toBe(400);
      expect((bad.json as { error: unknown }).error).toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'tokensPerMinute',
        message: expect.stringMatching(/whole number of tokens per minute from 0 \(unlimited\) to 1000000000, or null/),
      });
    }
    expect((await keys.db.team.findUniqueOrThrow({ where: { name: 'metered-bad' } })).tokensPerMinute).toBeNull();
  });
});

describe('local bootstrap key', () => {
  it('creates a team admin key once, keeps it across restarts, and replaces it when revoked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lemur-bootstrap-'));
    const keyFile = join(dir, 'nested', 'admin-key');
    const start = () =>
      startGateway(
        loadGatewayConfig({
          DATABASE_URL: db.url,
          GATEWAY_PORT: '0',
          EVAL_ADDR: fake.address,
          INFERENCE_ADDR: fake.address,
          LOG_LEVEL: 'silent',
          GATEWAY_BOOTSTRAP_KEY_FILE: keyFile,
          GATEWAY_BOOTSTRAP_TEAM: 'bootstrapped',
        }),
      );
    try {
      const first = await start();
      const token = readFileSync(keyFile, 'utf8').trim();
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const runs = await fetch(`${first.url}/v1/keys`, { headers: { authorization: `Bearer ${token}` } });
      expect(runs.status).toBe(200);
      await first.close();

      const second = await start();
      expect(readFileSync(keyFile, 'utf8').trim()).toBe(token);
      await fetch(`${second.url}/v1/keys/${token.slice(0, 16)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      await second.close();

      writeFileSync(keyFile, token);
      const third = await start();
      const replaced = readFileSync(keyFile, 'utf8').trim();
      expect(replaced).not.toBe(token);
      const listed = await fetch(`${third.url}/v1/keys`, { headers: { authorization: `Bearer ${replaced}` } });
      expect(((await listed.json()) as { keys: unknown[] }).keys).toHaveLength(2);
      await third.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
