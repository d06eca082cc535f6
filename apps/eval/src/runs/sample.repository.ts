// Implements SampleStore (run-store.ts) over Prisma.
import { Prisma, type PrismaClient, type Sample } from '@lemur/shared-database';
import { PlatformError } from '@lemur/shared-errors';
import type { Page, SampleCounts, SampleStore, SampleView } from './run-store';
import type { ScoredSampleRow } from './run-summary';
import type { SampleRecord, SampleResult, SampleStatusName } from './run.types';

function toRecord(row: Pick<Sample, 'id' | 'runId' | 'itemId' | 'itemIndex' | 'sampleIndex' | 'status' | 'attempts'>): SampleRecord {
  return {
    id: row.id,
    runId: row.runId,
    itemId: row.itemId,
    itemIndex: row.itemIndex,
    sampleIndex: row.sampleIndex,
    status: row.status,
    attempts: row.attempts,
  };
}

function toView(row: Sample): SampleView {
  return {
    ...toRecord(row),
    prompt: row.prompt,
    completion: row.completion,
    score: row.score,
    passed: row.passed,
    scoreDetail: row.scoreDetail,
    transcript: row.transcript,
    error: row.error,
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    latencyMs: row.latencyMs,
  };
}

/** Keyset cursor over (itemIndex, sampleIndex). */
function encodeCursor(row: { itemIndex: number; sampleIndex: number }): string {
  return Buffer.from(`${row.itemIndex}:${row.sampleIndex}`).toString('base64url');
}

function decodeCursor(cursor: string): { itemIndex: number; sampleIndex: number } {
  const match = /^(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw PlatformError.invalid('page_token', 'is not a cursor this API returned');
  return { itemIndex: Number(match[1]), sampleIndex: Number(match[2]) };
}

const json = (value: unknown) => (value === null || value === undefined ? Prisma.DbNull : (value as Prisma.InputJsonValue));

export class SampleRepository implements SampleStore {
  constructor(private readonly prisma: PrismaClient) {}

  async claim(id: string): Promise<SampleRecord | null> {
    const [row] = await this.prisma.sample.updateManyAndReturn({
      where: { id, status: 'PENDING' },
      data: { attempts: { increment: 1 }, startedAt: new Date() },
      select: { id: true, runId: true, itemId: true, itemIndex: true, sampleIndex: true, status: true, attempts: true },
    });
    return row ? toRecord(row) : null;
  }

  async hasPending(runId: string): Promise<boolean> {
    const row = await this.prisma.sample.findFirst({ where: { runId, status: 'PENDING' }, select: { id: true } });
    return row !== null;
  }

  async recordResult(id: string, result: SampleResult): Promise<boolean> {
    const { count } = await this.prisma.sample.updateMany({
      where: { id, status: 'PENDING' },
      data: {
        status: result.status,
        prompt: result.prompt,
        completion: result.completion,
        score: result.score,
        passed: result.passed,
        scoreDetail: json(result.scoreDetail),
        transcript: json(result.transcript),
        promptTokens: result.promptTokens,
        completionTokens: result.completionTokens,
        latencyMs: Math.round(result.latencyMs),
        error: result.error,
        finishedAt: new Date(),
      },
    });
    return count === 1;
  }

  async countsByStatus(runId: string): Promise<SampleCounts> {
    const groups = await this.prisma.sample.groupBy({ by: ['status'], where: { runId }, _count: { _all: true } });
    const counts: SampleCounts = { total: 0, pending: 0, scored: 0, errored: 0, cancelled: 0 };
    for (const g of groups) {
      counts.total += g._count._all;
      counts[g.status.toLowerCase() as Exclude<keyof SampleCounts, 'total'>] = g._count._all;
    }
    return counts;
  }

  async scoredRows(runId: string): Promise<ScoredSampleRow[]> {
    return this.prisma.sample.findMany({
      where: { runId, status: { in: ['SCORED', 'ERRORED'] } },
      select: { itemIndex: true, score: true, passed: true, promptTokens: true, completionTokens: true },
    });
  }

  async pendingIds(runId: string): Promise<string[]> {
    const rows = await this.prisma.sample.findMany({ where: { runId, status: 'PENDING' }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  async page(runId: string, opts: { status?: SampleStatusName; limit: number; cursor?: string }): Promise<Page<SampleView>> {
    const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
    const rows = await this.prisma.sample.findMany({
      where: {
        runId,
        ...(opts.status ? { status: opts.status } : {}),
        ...(after
          ? {
              OR: [
                { itemIndex: { gt: after.itemIndex } },
                { itemIndex: after.itemIndex, sampleIndex: { gt: after.sampleIndex } },
              ],
            }
          : {}),
      },
      orderBy: [{ itemIndex: 'asc' }, { sampleIndex: 'asc' }],
      take: opts.limit + 1,
    });
    const items = rows.slice(0, opts.limit).map(toView);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > opts.limit && last ? encodeCursor(last) : null };
  }
}
