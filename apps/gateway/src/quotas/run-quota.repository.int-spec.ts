import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunQuotaRepository } from './run-quota.repository';
import { RunQuotas } from './run-quotas.service';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('RunQuotaRepository + RunQuotas against PostgreSQL', () => {
  it('serializes concurrent starts of one team: with one slot left, exactly one of eight gets it', async () => {
    const team = await prisma.team.create({ data: { name: 'racy', maxConcurrentRuns: 1 } });
    // Two gateway replicas: separate clients and quota services over the same database.
    const other = createPrismaClient(db.url);
    const services = [prisma, other].map((client) => new RunQuotas(new RunQuotaRepository(client), { maxConcurrentRuns: 10, maxSamplesPerDay: 1_000 }, 10_000));
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          services[i % 2]!.admit({ id: team.id, name: team.name }, 5, async () => {
            // What the eval service does on CreateRun: insert the run (committed before the lock is released).
            await new Promise((r) => setTimeout(r, 20));
            return prisma.run.create({
              data: { teamId: team.id, modelName: 'm', benchmark: 'b', benchmarkVersion: '1', config: {}, spec: {}, totalSamples: 5 },
            });
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(7);
      for (const r of rejected) expect(r.reason).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED' });
      expect(await prisma.run.count({ where: { teamId: team.id } })).toBe(1);
    } finally {
      await other.$disconnect();
    }
  });

  it('charges a re-scoring run no daily samples: it calls no model, so it does not hold back later starts', async () => {
    const team = await prisma.team.create({ data: { name: 'rescorers', maxSamplesPerDay: 1_000 } });
    const run = (samples: number, sourceRunId?: string) =>
      prisma.run.create({
        data: { teamId: team.id, modelName: 'm', benchmark: 'b', benchmarkVersion: '1', config: {}, spec: {}, status: 'SUCCEEDED', totalSamples: samples, ...(sourceRunId ? { sourceRunId } : {}) },
      });
    const source = await run(600);
    // Re-scored twice (a scorer fix, then another): 1,200 samples scored again, none generated.
    await run(600, source.id);
    await run(600, source.id);
    const quotas = new RunQuotas(new RunQuotaRepository(prisma), { maxConcurrentRuns: 10, maxSamplesPerDay: 5_000 }, 10_000);
    expect(await quotas.usage(team.id)).toMatchObject({ maxSamplesPerDay: 1_000, activeRuns: 0, samplesLast24h: 600 });
    // 600 + 400 is the quota exactly: the re-scoring runs' 1,200 are not in the count.
    const started = await quotas.admit({ id: team.id, name: team.name }, 400, () => run(400));
    expect(started.totalSamples).toBe(400);
    expect((await quotas.usage(team.id)).samplesLast24h).toBe(1_000);
  });

  it('keeps other teams out of the count, and stores per-team overrides', async () => {
    const a = await prisma.team.create({ data: { name: 'quota-a' } });
    const b = await prisma.team.create({ data: { name: 'quota-b' } });
    await prisma.run.create({ data: { teamId: a.id, modelName: 'm', benchmark: 'b', benchmarkVersion: '1', config: {}, spec: {}, totalSamples: 700 } });
    const repo = new RunQuotaRepository(prisma);
    const quotas = new RunQuotas(repo, { maxConcurrentRuns: 1, maxSamplesPerDay: 1_000 }, 10_000);
    expect(await quotas.usage(b.id)).toEqual({ maxConcurrentRuns: 1, maxSamplesPerDay: 1_000, activeRuns: 0, samplesLast24h: 0 });
    expect(await quotas.usage(a.id)).toEqual({ maxConcurrentRuns: 1, maxSamplesPerDay: 1_000, activeRuns: 1, samplesLast24h: 700 });
    await repo.setOverrides(a.id, { maxSamplesPerDay: 5_000 });
    expect((await quotas.usage(a.id)).maxSamplesPerDay).toBe(5_000);
  });

  it('stores a team\'s tokens per minute with its run quotas in one row, leaving out what a change does not name', async () => {
    const team = await prisma.team.create({ data: { name: 'tokens', maxConcurrentRuns: 3 } });
    const repo = new RunQuotaRepository(prisma);
    expect(await repo.settings(team.id)).toEqual({ maxConcurrentRuns: 3, maxSamplesPerDay: null, tokensPerMinute: null });
    expect(await repo.setOverrides(team.id, { tokensPerMinute: 60_000 })).toEqual({ maxConcurrentRuns: 3, maxSamplesPerDay: null, tokensPerMinute: 60_000 });
    // Another client (the inference service reads the same column) sees it committed.
    const other = createPrismaClient(db.url);
    try {
      expect((await other.team.findUniqueOrThrow({ where: { id: team.id } })).tokensPerMinute).toBe(60_000);
    } finally {
      await other.$disconnect();
    }
    const both = await repo.setOverrides(team.id, { tokensPerMinute: 0, maxSamplesPerDay: 10 });
    expect(both).toEqual({ maxConcurrentRuns: 3, maxSamplesPerDay: 10, tokensPerMinute: 0 });
    expect(await repo.setOverrides(team.id, { tokensPerMinute: null })).toEqual({ maxConcurrentRuns: 3, maxSamplesPerDay: 10, tokensPerMinute: null });
    expect(await repo.settings('00000000-0000-0000-0000-000000000000')).toEqual({ maxConcurrentRuns: null, maxSamplesPerDay: null, tokensPerMinute: null });
  });
});
