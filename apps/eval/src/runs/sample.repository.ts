// Implements SampleStore (run-store.ts) over Prisma.
import type { ItemScoreRow } from './compare-runs/run-comparison';
import { Prisma, postgresSafe, sqlPoolOf, type PrismaClient, type Sample } from '@lemur/shared-database';
import { PlatformError } from '@lemur/shared-errors';
import type { Pool } from 'pg';
import { sampleJsonOf } from './listing-json.mapper';
import { SAMPLE_JSON_PARTS_SQL } from './listing-json.sql';
import type { Page, RunOfTeam, SampleCounts, SampleJsonRow, SamplePosition, SampleStore, SampleView } from './run-store';
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

type SamplePageOptions = { status?: SampleStatusName; passed?: boolean; limit: number; cursor?: string };

/** The largest page a listing returns, of runs or of samples (the page statement's constant inner LIMIT is one more). */
export const MAX_PAGE_SIZE = 500;

/**
 * The statement of a page of a team's run's samples (none when the run is not the team's), one named statement per
 * combination of filters. Exported for bench/api-latency.bench.ts, which runs the same SQL straight on Postgres.
 */
export function samplePageQuery(run: RunOfTeam, opts: SamplePageOptions, columns: string, statement: string): { name: string; text: string; values: unknown[] } {
  const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  const values: unknown[] = [run.id, run.teamId];
  // The run's owner is checked in the same statement (evaluated once, before the scan): a separate look-up of the run
  // was a second round trip per page.
  const where = ['run_id = $1', 'EXISTS (SELECT 1 FROM run WHERE id = $1 AND team_id = $2)'];
  if (opts.status) {
    values.push(opts.status);
    where.push(`status = $${values.length}`);
  }
  if (opts.passed !== undefined) {
    values.push(opts.passed);
    where.push(`passed = $${values.length}`);
  }
  if (after) {
    // A row comparison is one range of the (run_id, item_index, sample_index) index, however deep the page.
    values.push(after.itemIndex, after.sampleIndex);
    where.push(`(item_index, sample_index) > ($${values.length - 1}, $${values.length})`);
  }
  if (opts.limit > MAX_PAGE_SIZE) throw PlatformError.invalid('page_size', `must be at most ${MAX_PAGE_SIZE}`);
  values.push(opts.limit + 1);
  // The constant inner LIMIT lets Postgres cost the statement's generic plan as one page: with only `LIMIT $n` (costed
  // as a tenth of the run) it planned every execution anew, a third of its CPU per page (bench/api-latency.bench.ts).
  // `columns` must name item_index and sample_index "itemIndex" and "sampleIndex", as the cursor needs them anyway.
  const text =
    `SELECT * FROM (SELECT ${columns} FROM sample WHERE ${where.join(' AND ')} ORDER BY item_index, sample_index LIMIT ${MAX_PAGE_SIZE + 1}) page ` +
    `ORDER BY "itemIndex", "sampleIndex" LIMIT $${values.length}`;
  // Named by the filters only (the first two conditions are always there): Postgres cuts names at 63 bytes.
  return { name: `${statement}:${where.slice(2).map((w) => w.split(' ')[0]).join(',')}`, text, values };
}

/** The page ListSamples sends (pageJson), each sample as JSON written by Postgres but its score and texts, as a statement. */
export const samplePageJsonQuery = (run: RunOfTeam, opts: SamplePageOptions) =>
  samplePageQuery(run, opts, `item_index AS "itemIndex", sample_index AS "sampleIndex", ${SAMPLE_JSON_PARTS_SQL}`, 'sample-json-of-run');

const json = (value: unknown) => (value === null || value === undefined ? Prisma.DbNull : (value as Prisma.InputJsonValue));

export class SampleRepository implements SampleStore {
  private readonly sql: Pool;

  constructor(private readonly prisma: PrismaClient) {
    this.sql = sqlPoolOf(prisma);
  }

  async claim(id: string): Promise<SampleRecord | null> {
    const [row] = await this.prisma.sample.updateManyAndReturn({
      where: { id, status: 'PENDING' },
      data: { attempts: { increment: 1 }, startedAt: new Date() },
      select: { id: true, runId: true, itemId: true, itemIndex: true, sampleIndex: true, status: true, attempts: true },
    });
    return row ? toRecord(row) : null;
  }

  /** Pending samples of queued and running runs, by benchmark (the eval backlog). */
  async pendingByBenchmark(): Promise<Map<string, number>> {
    const runs = await this.prisma.run.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true, benchmark: true } });
    const byBenchmark = new Map<string, number>();
    if (runs.length === 0) return byBenchmark;
    const counts = await this.prisma.sample.groupBy({
      by: ['runId'],
      where: { runId: { in: runs.map((r) => r.id) }, status: 'PENDING' },
      _count: { _all: true },
    });
    const benchmarkOf = new Map(runs.map((r) => [r.id, r.benchmark]));
    for (const row of counts) {
      const benchmark = benchmarkOf.get(row.runId) ?? 'unknown';
      byBenchmark.set(benchmark, (byBenchmark.get(benchmark) ?? 0) + row._count._all);
    }
    return byBenchmark;
  }

  async hasPending(runId: string): Promise<boolean> {
    const row = await this.prisma.sample.findFirst({ where: { runId, status: 'PENDING' }, select: { id: true } });
    return row !== null;
  }

  async recordResult(id: string, stored: SampleResult): Promise<boolean> {
    // Prompts, completions and observations are untrusted text; a NUL in any of them would fail the write every time.
    const result = postgresSafe(stored);
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
      select: { itemIndex: true, itemGroup: true, score: true, passed: true, promptTokens: true, completionTokens: true },
    });
  }

  async itemScores(runId: string): Promise<ItemScoreRow[]> {
    const rows = await this.prisma.sample.findMany({ where: { runId, status: 'SCORED', score: { not: null } }, select: { itemId: true, score: true } });
    return rows.map((r) => ({ itemId: r.itemId, score: r.score! }));
  }

  async finishedPositions(runId: string): Promise<SamplePosition[]> {
    return this.prisma.sample.findMany({
      where: { runId, status: { in: ['SCORED', 'ERRORED'] } },
      select: { itemId: true, itemIndex: true, sampleIndex: true, itemGroup: true },
      orderBy: [{ itemIndex: 'asc' }, { sampleIndex: 'asc' }],
    });
  }

  async findAt(runId: string, itemIndex: number, sampleIndex: number): Promise<SampleView | null> {
    const row = await this.prisma.sample.findUnique({ where: { runId_itemIndex_sampleIndex: { runId, itemIndex, sampleIndex } } });
    return row ? toView(row) : null;
  }

  async pendingIds(runId: string): Promise<string[]> {
    const rows = await this.prisma.sample.findMany({ where: { runId, status: 'PENDING' }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  // node-postgres on the client's own pool (a named statement, each sample as the JSON Postgres wrote): Prisma's query
  // builder cost four times the CPU of the query for a page of 100 samples.
  async pageJson(run: RunOfTeam, opts: SamplePageOptions): Promise<Page<string>> {
    const page = await this.query<SampleJsonRow>(samplePageJsonQuery(run, opts), opts.limit);
    return { items: page.items.map(sampleJsonOf), nextCursor: page.nextCursor };
  }

  private async query<T extends { itemIndex: number; sampleIndex: number }>(statement: { name: string; text: string; values: unknown[] }, limit: number): Promise<Page<T>> {
    const { rows } = await this.sql.query<T>(statement);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async findInRun(runId: string, id: string): Promise<SampleView | null> {
    const row = await this.prisma.sample.findFirst({ where: { id, runId } });
    return row ? toView(row) : null;
  }
}
