// Implements RunStore (run-store.ts) over Prisma: the only place of the eval service that touches the runs tables.
import { type Prisma, type PrismaClient, type Run } from '@lemur/shared-database';
import { PlatformError } from '@lemur/shared-errors';
import type { NewRun, Page, RunStore } from './run-store';
import type { RunConfigData, RunRecord, RunSpec, RunStatusName } from './run.types';

const INSERT_CHUNK = 5_000;

function toRecord(row: Run): RunRecord {
  return {
    id: row.id,
    teamId: row.teamId,
    modelName: row.modelName,
    benchmark: row.benchmark,
    benchmarkVersion: row.benchmarkVersion,
    status: row.status,
    config: row.config as unknown as RunConfigData,
    spec: row.spec as unknown as RunSpec,
    totalSamples: row.totalSamples,
    summary: row.summary,
    error: row.error,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

/** Opaque keyset cursor over (createdAt desc, id desc). */
function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw PlatformError.invalid('page_token', 'is not a cursor this API returned');
  return { createdAt, id };
}

export class RunRepository implements RunStore {
  constructor(private readonly prisma: PrismaClient) {}

  async ensureTeam(name: string): Promise<string> {
    const team = await this.prisma.team.upsert({ where: { name }, create: { name }, update: {}, select: { id: true } });
    return team.id;
  }

  async createWithSamples(run: NewRun): Promise<{ run: RunRecord; sampleIds: string[] }> {
    return this.prisma.$transaction(
      async (tx) => {
        const row = await tx.run.create({
          data: {
            teamId: run.teamId,
            modelName: run.modelName,
            benchmark: run.benchmark,
            benchmarkVersion: run.benchmarkVersion,
            config: run.config as unknown as Prisma.InputJsonValue,
            spec: run.spec as unknown as Prisma.InputJsonValue,
            totalSamples: run.samples.length,
          },
        });
        const sampleIds: string[] = [];
        for (let i = 0; i < run.samples.length; i += INSERT_CHUNK) {
          const created = await tx.sample.createManyAndReturn({
            data: run.samples.slice(i, i + INSERT_CHUNK).map((s) => ({ runId: row.id, ...s })),
            select: { id: true },
          });
          sampleIds.push(...created.map((c) => c.id));
        }
        return { run: toRecord(row), sampleIds };
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
  }

  async findForTeam(teamId: string, id: string): Promise<RunRecord | null> {
    const row = await this.prisma.run.findFirst({ where: { id, teamId } });
    return row ? toRecord(row) : null;
  }

  async findById(id: string): Promise<RunRecord | null> {
    const row = await this.prisma.run.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async listForTeam(teamId: string, opts: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
    const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
    const rows = await this.prisma.run.findMany({
      where: {
        teamId,
        ...(after
          ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: opts.limit + 1,
    });
    const items = rows.slice(0, opts.limit).map(toRecord);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > opts.limit && last ? encodeCursor(last) : null };
  }

  async listActive(): Promise<RunRecord[]> {
    const rows = await this.prisma.run.findMany({
      where: { status: { in: ['QUEUED', 'RUNNING'] } },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toRecord);
  }

  async markRunning(id: string): Promise<void> {
    await this.prisma.run.updateMany({ where: { id, status: 'QUEUED' }, data: { status: 'RUNNING', startedAt: new Date() } });
  }

  async finish(id: string, status: Exclude<RunStatusName, 'QUEUED' | 'RUNNING'>, summary: unknown, error?: string): Promise<boolean> {
    const { count } = await this.prisma.run.updateMany({
      where: { id, status: { in: ['QUEUED', 'RUNNING'] } },
      data: {
        status,
        summary: summary as Prisma.InputJsonValue,
        finishedAt: new Date(),
        ...(error !== undefined ? { error } : {}),
      },
    });
    return count === 1;
  }

  async cancel(id: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.run.updateMany({
        where: { id, status: { in: ['QUEUED', 'RUNNING'] } },
        data: { status: 'CANCELLED', finishedAt: new Date() },
      });
      if (count === 0) return false;
      await tx.sample.updateMany({ where: { runId: id, status: 'PENDING' }, data: { status: 'CANCELLED', finishedAt: new Date() } });
      return true;
    });
  }
}
