// Schedules against real Postgres: exactly one run per tick with two schedulers on one database, ticks held back by
// the team's quotas (and audited when started), the regression check of a finished scheduled run (stored flag, metric,
// signed webhook on a loopback server), webhook retries and the address guard, the gauges, and request validation.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { create, toBinary } from '@bufbuild/protobuf';
import { evalV1 } from '@lemur/proto';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { PlatformErrorCode } from '@lemur/shared-errors';
import { createLogger } from '@lemur/shared-logging';
import { AuditEntryRepository, RunQuotaRepository, TeamRunQuotas } from '@lemur/shared-run-admission';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchmarkCatalog } from '../src/benchmarks/benchmark-catalog';
import { RegressionMetrics } from '../src/schedules/regression.metrics';
import { RunRepository } from '../src/runs/run.repository';
import type { RunRecord, RunSpec } from '../src/runs/run.types';
import { SampleRepository } from '../src/runs/sample.repository';
import type { StartRunCommand } from '../src/runs/start-run/start-run.command';
import { CheckRegressionUseCase } from '../src/schedules/check-regression.usecase';
import { RegressionWebhook, type RegressionEvent } from '../src/schedules/regression-webhook';
import { RunScheduler, type RunStarter, type TickAdmission } from '../src/schedules/run-scheduler.service';
import { ScheduleAdmissionMetrics } from '../src/schedules/schedule-admission.metrics';
import { ScheduleMetrics } from '../src/schedules/schedule.metrics';
import { ScheduleRepository } from '../src/schedules/schedule.repository';
import { SchedulesGrpcHandler, toScheduleMessage } from '../src/schedules/schedules.grpc-handler';
import { WebhookDeliveryMetrics } from '../src/schedules/webhook-delivery.metrics';
import { generateWebhookSecret, verifyWebhook } from '../src/schedules/webhook-signature';

const logger = createLogger('eval', 'silent');
const spec: RunSpec = {
  benchmarkRef: 'gsm8k@1.0.0',
  datasetFile: 'gsm8k/test.jsonl',
  datasetSha256: 'abc',
  datasetSource: 'shared',
  promptTemplateHash: 'def',
  metric: 'accuracy',
  sampling: { maxTokens: 64, temperature: 0, topP: 1, stop: [] },
  platformVersion: '0.1.0',
  items: 60,
};

let db: TestDatabase;
let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;
let schedules: ScheduleRepository;

/** Stores a run the way StartRunUseCase does (two items), so the scheduler's runs are real rows. */
class StoringStarter implements RunStarter {
  async execute(cmd: StartRunCommand): Promise<RunRecord> {
    const teamId = await runs.ensureTeam(cmd.team);
    const { run } = await runs.createWithSamples({
      teamId,
      modelName: cmd.model,
      benchmark: cmd.benchmark,
      benchmarkVersion: '1.0.0',
      config: { limit: cmd.limit, samplesPerItem: cmd.samplesPerItem, concurrency: 1, chat: cmd.chat },
      spec,
      samples: [0, 1].map((i) => ({ itemId: `${cmd.benchmark}/${i}`, itemIndex: i, sampleIndex: 0 })),
      ...(cmd.scheduleId ? { scheduleId: cmd.scheduleId } : {}),
    });
    return run;
  }
}

async function newSchedule(team: string, name: string, opts: { cron?: string; nextRunAt: Date; baseline?: string; webhookUrl?: string | null; benchmarks?: string[] }) {
  return schedules.create({
    teamId: await runs.ensureTeam(team),
    name,
    cron: opts.cron ?? '*/5 * * * *',
    timezone: 'UTC',
    modelName: 'sim:oracle',
    benchmarks: opts.benchmarks ?? ['gsm8k'],
    config: { limit: 2, samplesPerItem: 1, concurrency: 0, chat: false },
    baseline: opts.baseline ?? 'previous',
    enabled: true,
    webhookUrl: opts.webhookUrl ?? null,
    webhookSecret: null,
    nextRunAt: opts.nextRunAt,
  });
}

/** A finished run of a schedule whose item i scores scores[i]. */
async function finishedRun(team: string, scheduleId: string | undefined, scores: number[], createdAt: Date): Promise<string> {
  const teamId = await runs.ensureTeam(team);
  const { run, sampleIds } = await runs.createWithSamples({
    teamId,
    modelName: 'sim:oracle',
    benchmark: 'gsm8k',
    benchmarkVersion: '1.0.0',
    config: { limit: scores.length, samplesPerItem: 1, concurrency: 2, chat: false },
    spec,
    samples: scores.map((_, i) => ({ itemId: `gsm8k/${i}`, itemIndex: i, sampleIndex: 0 })),
    ...(scheduleId ? { scheduleId } : {}),
  });
  for (const [i, score] of scores.entries()) {
    await samples.recordResult(sampleIds[i]!, {
      status: 'SCORED',
      prompt: 'Q',
      completion: 'A',
      score,
      passed: score === 1,
      scoreDetail: null,
      transcript: null,
      promptTokens: 1,
      completionTokens: 1,
      latencyMs: 1,
      error: null,
    });
  }
  await prisma.run.update({ where: { id: run.id }, data: { createdAt, status: 'SUCCEEDED', finishedAt: new Date(createdAt.getTime() + 60_000) } });
  return run.id;
}

const catalog = new BenchmarkCatalog({ sharedDirs: [], cacheDir: '/tmp/lemur-test-datasets', online: false });

/** The quotas, audit log and refusal counter a scheduler admits its ticks by, over `client` (one per replica). */
function admission(client: PrismaClient = prisma, registry = new Registry()): TickAdmission {
  return {
    quotas: new TeamRunQuotas(new RunQuotaRepository(client), { maxConcurrentRuns: 50, maxSamplesPerDay: 1_000_000 }, 10_000),
    audit: new AuditEntryRepository(client),
    benchmarks: catalog.list().map((b) => ({ name: b.name, version: b.version, items: b.dataset.items })),
    metrics: new ScheduleAdmissionMetrics(registry),
  };
}

async function refusals(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('lemur_eval_schedule_quota_refusals_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels['reason']), v.value]));
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  runs = new RunRepository(prisma);
  samples = new SampleRepository(prisma);
  schedules = new ScheduleRepository(prisma);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('RunScheduler', () => {
  it('creates exactly one run per tick and benchmark with two schedulers on the same database', async () => {
    const start = new Date('2026-12-03T10:00:00Z');
    const schedule = await newSchedule('sched', 'every-5-min', { nextRunAt: start, benchmarks: ['gsm8k', 'humaneval'] });
    // A second client: the two schedulers share nothing but the database, like two replicas.
    const prisma2 = createPrismaClient(db.url);
    try {
      let now = start;
      const clock = () => now;
      const a = new RunScheduler(schedules, new StoringStarter(), admission(), logger, { pollMs: 1000 }, clock);
      const b = new RunScheduler(new ScheduleRepository(prisma2), new StoringStarter(), admission(prisma2), logger, { pollMs: 1000 }, clock);
      const ticks = 12;
      let createdByA = 0;
      let createdByB = 0;
      for (let i = 0; i < ticks; i++) {
        now = new Date(start.getTime() + i * 5 * 60_000 + 1_000);
        // Both see the tick due at once; each polls twice.
        const [ra, rb, ra2, rb2] = await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
        createdByA += ra.length + ra2.length;
        createdByB += rb.length + rb2.length;
      }
      const made = await prisma.run.findMany({ where: { scheduleId: schedule.id }, select: { benchmark: true } });
      expect(made).toHaveLength(ticks * 2);
      expect(made.filter((r) => r.benchmark === 'gsm8k')).toHaveLength(ticks);
      expect(createdByA + createdByB).toBe(ticks * 2);
      // Each run audited once, by the schedule, whichever replica started it.
      const entries = await prisma.auditLog.findMany({ where: { action: 'run.start', actor: 'schedule:every-5-min' } });
      expect(entries.map((e) => e.target).sort()).toEqual((await prisma.run.findMany({ where: { scheduleId: schedule.id } })).map((r) => r.id).sort());
      const stored = await schedules.findById(schedule.id);
      expect(stored!.nextRunAt.toISOString()).toBe(new Date(start.getTime() + ticks * 5 * 60_000).toISOString());
      expect(stored!.lastRunAt).not.toBeNull();
    } finally {
      await prisma2.$disconnect();
    }
  });

  it('collapses ticks missed while no scheduler ran into one run, and leaves future and disabled schedules alone', async () => {
    const tick = new Date('2026-12-03T00:00:00Z');
    const missed = await newSchedule('sched', 'missed-many', { nextRunAt: tick });
    const future = await newSchedule('sched', 'not-yet', { nextRunAt: new Date('2026-12-04T00:00:00Z') });
    const off = await newSchedule('sched', 'disabled', { nextRunAt: tick });
    await prisma.schedule.update({ where: { id: off.id }, data: { enabled: false } });
    const now = new Date('2026-12-03T05:02:00Z');
    const scheduler = new RunScheduler(schedules, new StoringStarter(), admission(), logger, { pollMs: 1000 }, () => now);
    const created = await scheduler.tick();
    expect(created.filter((r) => r.scheduleId === missed.id)).toHaveLength(1);
    expect(created.some((r) => r.scheduleId === future.id || r.scheduleId === off.id)).toBe(false);
    expect((await schedules.findById(missed.id))!.nextRunAt.toISOString()).toBe('2026-12-03T05:05:00.000Z');
    expect(await scheduler.tick()).toHaveLength(0);
  });
});

describe('RunScheduler under team quotas', () => {
  /** A run of the team, queued, that holds one of its run slots until the test finishes it. */
  async function busyRun(team: string): Promise<string> {
    const { run } = await runs.createWithSamples({
      teamId: await runs.ensureTeam(team),
      modelName: 'sim:oracle',
      benchmark: 'gsm8k',
      benchmarkVersion: '1.0.0',
      config: { limit: 1, samplesPerItem: 1, concurrency: 1, chat: false },
      spec,
      samples: [{ itemId: 'gsm8k/0', itemIndex: 0, sampleIndex: 0 }],
    });
    return run.id;
  }

  it('holds a tick back at the concurrent-run cap (reason stored, counted, logged) and starts it, audited, once a run finishes', async () => {
    const teamId = await runs.ensureTeam('capped');
    await prisma.team.update({ where: { id: teamId }, data: { maxConcurrentRuns: 1 } });
    const blocking = await busyRun('capped');
    const tick = new Date('2026-12-03T03:00:00Z');
    const schedule = await newSchedule('capped', 'nightly-capped', { cron: '0 3 * * *', nextRunAt: tick });
    const registry = new Registry();
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('eval', 'warn', new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
    let now = new Date(tick.getTime() + 1_000);
    const scheduler = new RunScheduler(schedules, new StoringStarter(), admission(prisma, registry), log, { pollMs: 1000 }, () => now);
    // Only this schedule's runs: other tests' schedules may be due at the same clock.
    const tickOwn = async () => (await scheduler.tick()).filter((r) => r.scheduleId === schedule.id);

    expect(await tickOwn()).toEqual([]);
    expect(await prisma.run.count({ where: { scheduleId: schedule.id } })).toBe(0);
    const held = (await schedules.findById(schedule.id))!;
    expect(held.lastSkipReason).toMatch(/team capped has 1 run\(s\) queued or running, its quota is 1/);
    expect(toScheduleMessage(held).lastSkipReason).toBe(held.lastSkipReason);
    // Tried again after the Retry-After an API client would get (30 s), not at tomorrow's tick.
    expect(held.nextRunAt.toISOString()).toBe(new Date(now.getTime() + 30_000).toISOString());
    expect(held.lastRunAt).toBeNull();
    expect(await refusals(registry)).toEqual({ concurrent_runs: 1, daily_samples: 0 });
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'scheduled runs held back by a team quota', scheduleId: schedule.id, reason: 'concurrent_runs' })]);

    // Not yet time to try again: nothing happens, nothing more is counted.
    expect(await tickOwn()).toEqual([]);
    expect(await refusals(registry)).toEqual({ concurrent_runs: 1, daily_samples: 0 });

    await prisma.run.update({ where: { id: blocking }, data: { status: 'SUCCEEDED', finishedAt: now } });
    now = new Date(now.getTime() + 31_000);
    const [run, ...more] = await tickOwn();
    expect(more).toEqual([]);
    expect(run).toMatchObject({ scheduleId: schedule.id, benchmark: 'gsm8k' });
    const started = (await schedules.findById(schedule.id))!;
    expect(started.lastSkipReason).toBeNull();
    expect(started.nextRunAt.toISOString()).toBe('2026-12-04T03:00:00.000Z');
    expect(await refusals(registry)).toEqual({ concurrent_runs: 1, daily_samples: 0 });
    const audit = await prisma.auditLog.findMany({ where: { teamId, action: 'run.start' } });
    expect(audit).toEqual([
      expect.objectContaining({ actor: 'schedule:nightly-capped', target: run!.id, detail: { model: 'sim:oracle', benchmark: 'gsm8k', samples: 2, scheduleId: schedule.id } }),
    ]);
  });

  it('prices a tick in samples like an API start: past the daily quota it waits for the next cron tick, counted once across replicas', async () => {
    const teamId = await runs.ensureTeam('thrifty');
    // Two benchmarks of 2 samples each: 4, one more than the day allows.
    await prisma.team.update({ where: { id: teamId }, data: { maxSamplesPerDay: 3 } });
    const tick = new Date('2026-12-03T10:00:00Z');
    const schedule = await newSchedule('thrifty', 'every-5-min-thrifty', { nextRunAt: tick, benchmarks: ['gsm8k', 'humaneval'] });
    const prisma2 = createPrismaClient(db.url);
    try {
      const [ra, rb] = [new Registry(), new Registry()];
      const now = new Date(tick.getTime() + 1_000);
      const a = new RunScheduler(schedules, new StoringStarter(), admission(prisma, ra), logger, { pollMs: 1000 }, () => now);
      const b = new RunScheduler(new ScheduleRepository(prisma2), new StoringStarter(), admission(prisma2, rb), logger, { pollMs: 1000 }, () => now);
      // Other tests' schedules may be due too: only this one's runs matter here.
      const created = (await Promise.all([a.tick(), b.tick()])).flat();
      expect(created.filter((r) => r.scheduleId === schedule.id)).toEqual([]);
      expect(await prisma.run.count({ where: { scheduleId: schedule.id } })).toBe(0);
      const held = (await schedules.findById(schedule.id))!;
      expect(held.lastSkipReason).toMatch(/this run needs 4 samples, more than team thrifty's daily quota of 3/);
      // Waiting a day would not help; the next cron tick comes first.
      expect(held.nextRunAt.toISOString()).toBe('2026-12-03T10:05:00.000Z');
      const [ca, cb] = [await refusals(ra), await refusals(rb)];
      expect(ca['daily_samples']! + cb['daily_samples']!).toBe(1);
      expect(ca['concurrent_runs']! + cb['concurrent_runs']!).toBe(0);
    } finally {
      await prisma2.$disconnect();
    }
  });
});

/** A loopback webhook receiver that answers each request with the next of `statuses` (then 204), keeping what it saw. */
class HookServer {
  readonly received: { method: string | undefined; headers: IncomingHttpHeaders; body: string }[] = [];
  server!: Server;
  url = '';

  constructor(private readonly statuses: { status: number; headers?: Record<string, string> }[] = []) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ method: req.method, headers: req.headers, body });
        const next = this.statuses.shift() ?? { status: 204 };
        res.writeHead(next.status, next.headers).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/lemur`;
    return this;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function deliveries(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('lemur_eval_webhook_deliveries_total')!.get();
  return Object.fromEntries(metric.values.filter((v) => v.value > 0).map((v) => [String(v.labels['outcome']), v.value]));
}

describe('CheckRegressionUseCase', () => {
  let hook: HookServer;

  beforeAll(async () => {
    hook = await new HookServer().start();
  });
  afterAll(() => hook.close());

  it('flags a significant drop against the previous run: stored on the run, counted, posted signed to the webhook', async () => {
    const registry = new Registry();
    const regressionMetrics = new RegressionMetrics(registry);
    // The loopback receiver is reachable only with the guard lifted, as `lemur up` does.
    const webhook = new RegressionWebhook(logger, { allowPrivate: true, metrics: new WebhookDeliveryMetrics(registry) });
    const check = new CheckRegressionUseCase(runs, samples, schedules, webhook, logger, (c, s) => regressionMetrics.record(c, s));
    const handler = new SchedulesGrpcHandler(schedules, runs, catalog);
    const created = await handler.createSchedule(
      create(evalV1.CreateScheduleRequestSchema, { team: 'reg', name: 'nightly', cron: '*/5 * * * *', timezone: 'UTC', model: 'sim:oracle', benchmarks: ['gsm8k'], enabled: true, webhookUrl: hook.url }),
    );
    const schedule = created.schedule!;
    const secret = created.webhookSecret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    // Shown once: no read of the schedule carries it, though it is stored to sign with.
    const listed = await handler.listSchedules(create(evalV1.ListSchedulesRequestSchema, { team: 'reg' }));
    expect(listed.schedules.map((s) => s.id)).toEqual([schedule.id]);
    expect(Buffer.from(toBinary(evalV1.ListSchedulesResponseSchema, listed)).toString('latin1')).not.toContain(secret);
    const own = await schedules.findForTeam(await runs.ensureTeam('reg'), schedule.id);
    expect(Buffer.from(toBinary(evalV1.ScheduleSchema, toScheduleMessage(own!))).toString('latin1')).not.toContain(secret);
    expect((await schedules.findById(schedule.id))!.webhookSecret).toBe(secret);

    const first = await finishedRun('reg', schedule.id, Array.from({ length: 60 }, () => 1), new Date('2026-12-01T03:00:00Z'));
    const firstCheck = await check.execute(first);
    expect(firstCheck).toMatchObject({ baselineRunId: null, regressed: false });
    expect(firstCheck!.note).toMatch(/no earlier successful run/);

    // Same settings, 30 of 60 items now wrong: McNemar and the paired bootstrap both say worse.
    const second = await finishedRun('reg', schedule.id, Array.from({ length: 60 }, (_, i) => (i < 30 ? 0 : 1)), new Date('2026-12-02T03:00:00Z'));
    const secondCheck = await check.execute(second);
    expect(secondCheck).toMatchObject({ baselineRunId: first, regressed: true, significant: true, comparable: true, regressedItems: 30 });
    expect(secondCheck!.delta).toBeCloseTo(-0.5, 6);
    expect(secondCheck!.pValue).toBeLessThan(0.001);

    const stored = await runs.findById(second);
    expect(stored!.regression).toMatchObject({ regressed: true, baselineRunId: first });
    expect((await schedules.findById(schedule.id))!.lastSuccessAt?.toISOString()).toBe('2026-12-02T03:01:00.000Z');
    const counter = await registry.getSingleMetric('lemur_eval_regressions_total')!.get();
    expect(counter.values).toEqual([{ labels: { team: 'reg', schedule: 'nightly', benchmark: 'gsm8k' }, value: 1 }]);
    expect(hook.received).toHaveLength(1);
    const delivery = hook.received[0]!;
    expect(delivery).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json', 'x-lemur-event-id': `evt_${second}` } });
    expect(JSON.parse(delivery.body)).toEqual(
      expect.objectContaining({
        event: 'lemur.regression',
        team: 'reg',
        schedule: { id: schedule.id, name: 'nightly' },
        run: { id: second, model: 'sim:oracle', benchmark: 'gsm8k' },
        baselineRunId: first,
        regressedItems: 30,
      }),
    );
    // What a receiver checks, with the secret the create response showed.
    const signed = { timestamp: delivery.headers['x-lemur-timestamp'] as string, signature: delivery.headers['x-lemur-signature'] as string, body: delivery.body };
    expect(Math.abs(Number(signed.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(verifyWebhook(secret, signed)).toBe(true);
    expect(verifyWebhook(secret, { ...signed, body: delivery.body.replace('"regressedItems":30', '"regressedItems":0') })).toBe(false);
    expect(await deliveries(registry)).toEqual({ delivered: 1 });

    // The next run is compared to the previous one (the regressed run), not the first: same scores, no flag.
    const third = await finishedRun('reg', schedule.id, Array.from({ length: 60 }, (_, i) => (i < 30 ? 0 : 1)), new Date('2026-12-03T03:00:00Z'));
    expect(await check.execute(third)).toMatchObject({ baselineRunId: second, regressed: false, significant: false });
    expect(hook.received).toHaveLength(1);
    await webhook.close();
  });

  it('compares to a fixed baseline run and leaves unscheduled runs alone', async () => {
    const check = new CheckRegressionUseCase(runs, samples, schedules, new RegressionWebhook(logger, { allowPrivate: true }), logger);
    const baseline = await finishedRun('fixed', undefined, Array.from({ length: 60 }, () => 1), new Date('2026-11-01T00:00:00Z'));
    const schedule = await newSchedule('fixed', 'vs-release', { nextRunAt: new Date('2027-01-01T00:00:00Z'), baseline });
    const better = await finishedRun('fixed', schedule.id, Array.from({ length: 60 }, () => 1), new Date('2026-12-01T00:00:00Z'));
    expect(await check.execute(better)).toMatchObject({ baselineRunId: baseline, regressed: false, delta: 0 });
    expect(await check.execute(baseline)).toBeNull();
  });
});

describe('RegressionWebhook', () => {
  const event: RegressionEvent = {
    event: 'lemur.regression',
    team: 't',
    schedule: { id: 's1', name: 'nightly' },
    run: { id: 'r1', model: 'm', benchmark: 'gsm8k' },
    baselineRunId: 'r0',
    delta: -0.5,
    ci: [-0.6, -0.4],
    pValue: 0.001,
    regressedItems: 30,
  };
  const secret = generateWebhookSecret();
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('eval', 'info', new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
    return { lines, log };
  };
  const fast = { backoffMs: [20, 40], maxRetryAfterMs: 200 };

  it('retries a 503 and a 429 (honouring Retry-After) with the same event id, then delivers once', async () => {
    const hook = await new HookServer([{ status: 503 }, { status: 429, headers: { 'retry-after': '0' } }]).start();
    const registry = new Registry();
    const webhook = new RegressionWebhook(logger, { allowPrivate: true, metrics: new WebhookDeliveryMetrics(registry), ...fast });
    try {
      expect(await webhook.post({ url: hook.url, secret, eventId: 'evt_r1' }, event)).toBe(true);
      expect(hook.received).toHaveLength(3);
      expect(new Set(hook.received.map((r) => r.headers['x-lemur-event-id']))).toEqual(new Set(['evt_r1']));
      for (const r of hook.received) {
        expect(verifyWebhook(secret, { timestamp: r.headers['x-lemur-timestamp'] as string, signature: r.headers['x-lemur-signature'] as string, body: r.body })).toBe(true);
      }
      expect(await deliveries(registry)).toEqual({ delivered: 1 });
    } finally {
      await webhook.close();
      await hook.close();
    }
  });

  it('gives up after three attempts on 5xx, and does not retry other 4xx', async () => {
    const failing = await new HookServer([{ status: 500 }, { status: 502 }, { status: 503 }, { status: 503 }]).start();
    const refusing = await new HookServer([{ status: 400 }]).start();
    const registry = new Registry();
    const { lines, log } = capture();
    const webhook = new RegressionWebhook(log, { allowPrivate: true, metrics: new WebhookDeliveryMetrics(registry), ...fast });
    try {
      expect(await webhook.post({ url: failing.url, secret, eventId: 'evt_a' }, event)).toBe(false);
      expect(failing.received).toHaveLength(3);
      expect(await webhook.post({ url: refusing.url, secret, eventId: 'evt_b' }, event)).toBe(false);
      expect(refusing.received).toHaveLength(1);
      expect(await deliveries(registry)).toEqual({ http_error: 2 });
      expect(lines.filter((l) => l['msg'] === 'regression webhook failed; the event is dropped').map((l) => [l['eventId'], l['status'], l['attempts']])).toEqual([
        ['evt_a', 503, 3],
        ['evt_b', 400, 1],
      ]);
      expect(JSON.stringify(lines)).not.toContain(secret);
    } finally {
      await webhook.close();
      await failing.close();
      await refusing.close();
    }
  });

  it('retries network errors (nothing listening) up to three attempts', async () => {
    const closed = await new HookServer().start();
    await closed.close();
    const registry = new Registry();
    const { lines, log } = capture();
    const webhook = new RegressionWebhook(log, { allowPrivate: true, metrics: new WebhookDeliveryMetrics(registry), ...fast });
    try {
      expect(await webhook.post({ url: closed.url, secret, eventId: 'evt_c' }, event)).toBe(false);
      expect(lines.filter((l) => l['msg'] === 'regression webhook attempt failed; retrying')).toHaveLength(2);
      expect(await deliveries(registry)).toEqual({ network_error: 1 });
    } finally {
      await webhook.close();
    }
  });

  it('with the guard on, refuses loopback destinations (literal and by name) without connecting', async () => {
    const hook = await new HookServer().start();
    const registry = new Registry();
    const { lines, log } = capture();
    const webhook = new RegressionWebhook(log, { allowPrivate: false, metrics: new WebhookDeliveryMetrics(registry), ...fast });
    let connections = 0;
    hook.server.on('connection', () => connections++);
    try {
      const port = new URL(hook.url).port;
      for (const url of [hook.url, `http://localhost:${port}/hooks/lemur`, `http://[::ffff:127.0.0.1]:${port}/x`]) {
        expect(await webhook.post({ url, secret, eventId: 'evt_d' }, event)).toBe(false);
      }
      expect(connections).toBe(0);
      expect(hook.received).toHaveLength(0);
      expect(await deliveries(registry)).toEqual({ refused_address: 3 });
      const refusals = lines.filter((l) => l['msg'] === 'regression webhook refused: its address is on the platform network');
      expect(refusals).toHaveLength(3);
      expect(refusals[0]).toMatchObject({ level: 40, eventId: 'evt_d', err: { message: expect.stringMatching(/127\.0\.0\.1 \(loopback\)/) } });
    } finally {
      await webhook.close();
      await hook.close();
    }

    // The same receiver with the guard lifted gets the event.
    const open = await new HookServer().start();
    const allowed = new RegressionWebhook(logger, { allowPrivate: true, ...fast });
    try {
      expect(await allowed.post({ url: open.url, secret, eventId: 'evt_e' }, event)).toBe(true);
      expect(open.received).toHaveLength(1);
    } finally {
      await allowed.close();
      await open.close();
    }
  });
});

describe('ScheduleMetrics', () => {
  it('exports last success and interval per schedule with team and schedule labels', async () => {
    const registry = new Registry();
    new ScheduleMetrics(registry, () => schedules.listAll());
    const text = await registry.metrics();
    expect(text).toMatch(/lemur_eval_schedule_interval_seconds\{team="sched",schedule="every-5-min"\} 300\n/);
    // The latest of its runs' successes (the third run of the regression test finished at 03:01 on the 3rd).
    expect(text).toContain(`lemur_eval_schedule_last_success_timestamp_seconds{team="reg",schedule="nightly"} ${Date.parse('2026-12-03T03:01:00Z') / 1000}\n`);
    expect(text).not.toContain('schedule="disabled"');
  });
});

describe('SchedulesGrpcHandler', () => {
  const handler = () => new SchedulesGrpcHandler(schedules, runs, new BenchmarkCatalog({ sharedDirs: [], cacheDir: '/tmp/lemur-test-datasets', online: false }));
  const request = (over: Partial<Omit<evalV1.CreateScheduleRequest, '$typeName'>> = {}) =>
    create(evalV1.CreateScheduleRequestSchema, { team: 'api', name: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Berlin', model: 'sim:oracle', benchmarks: ['gsm8k'], enabled: true, ...over });
  async function codeOf(p: Promise<unknown>): Promise<[string, string]> {
    try {
      await p;
    } catch (err) {
      return [(err as { code: string }).code, (err as { field?: string }).field ?? ''];
    }
    return ['no error', ''];
  }

  it('creates, lists and deletes a team schedule; other teams see none of it', async () => {
    const h = handler();
    const { schedule } = await h.createSchedule(request());
    expect(schedule).toMatchObject({ name: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Berlin', baseline: 'previous', enabled: true });
    expect(new Date(Number(schedule!.nextRunAt!.seconds) * 1000).getUTCHours()).toBe(2);
    expect((await h.listSchedules(create(evalV1.ListSchedulesRequestSchema, { team: 'api' }))).schedules.map((s) => s.name)).toEqual(['nightly']);
    expect((await h.listSchedules(create(evalV1.ListSchedulesRequestSchema, { team: 'other' }))).schedules).toEqual([]);
    expect(await codeOf(h.deleteSchedule(create(evalV1.DeleteScheduleRequestSchema, { team: 'other', id: schedule!.id })))).toEqual([PlatformErrorCode.SCHEDULE_NOT_FOUND, 'id']);
    expect(await codeOf(h.createSchedule(request()))).toEqual([PlatformErrorCode.SCHEDULE_EXISTS, 'name']);
    await h.deleteSchedule(create(evalV1.DeleteScheduleRequestSchema, { team: 'api', id: schedule!.id }));
    expect((await h.listSchedules(create(evalV1.ListSchedulesRequestSchema, { team: 'api' }))).schedules).toEqual([]);
  });

  it('refuses bad input naming the field', async () => {
    const h = handler();
    expect(await codeOf(h.createSchedule(request({ cron: 'every night' })))).toEqual([PlatformErrorCode.INVALID_ARGUMENT, 'cron']);
    expect(await codeOf(h.createSchedule(request({ timezone: 'Nowhere/Land' })))).toEqual([PlatformErrorCode.INVALID_ARGUMENT, 'timezone']);
    expect(await codeOf(h.createSchedule(request({ benchmarks: [] })))).toEqual([PlatformErrorCode.INVALID_ARGUMENT, 'benchmarks']);
    expect(await codeOf(h.createSchedule(request({ benchmarks: ['nope'] }))).then(([c]) => c)).toBe(PlatformErrorCode.BENCHMARK_NOT_FOUND);
    expect(await codeOf(h.createSchedule(request({ name: 'bad name!' })))).toEqual([PlatformErrorCode.INVALID_ARGUMENT, 'name']);
    expect(await codeOf(h.createSchedule(request({ webhookUrl: 'ftp://x' })))).toEqual([PlatformErrorCode.INVALID_ARGUMENT, 'webhook_url']);
    expect(await codeOf(h.createSchedule(request({ baseline: 'last-week' })))).toEqual([PlatformErrorCode.INVALID_ARGUMENT, 'baseline']);
    // Another team's run is not a baseline this team can name: reported like a missing one.
    const foreign = await finishedRun('someone-else', undefined, [1], new Date());
    expect(await codeOf(h.createSchedule(request({ name: 'foreign', baseline: foreign })))).toEqual([PlatformErrorCode.RUN_NOT_FOUND, 'baseline']);
  });
});
