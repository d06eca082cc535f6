// Implements RunStore (run-store.ts) over Prisma: the only place of the eval service that touches the runs tables.
import { Prisma, sqlPoolOf, type PrismaClient, type Run } from '@lemur/shared-database';
import { PlatformError } from '@lemur/shared-errors';
import type { Pool } from 'pg';
import { RUN_JSON_PARTS_SQL } from './listing-json.sql';
import type { NewRun, Page, RunDependents, RunFilter, RunJsonRow, RunOfTeam, RunStore } from './run-store';
import type { RegressionCheckData, RunConfigData, RunRecord, RunSpec, RunStatusName } from './run.types';

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
    scheduleId: row.scheduleId,
    regression: row.regression as unknown as RegressionCheckData | null,
    sourceRunId: row.sourceRunId,
    suiteRunId: row.suiteRunId,
  };
}

// The hot reads (a run of a team, a page of a team's runs) skip Prisma's query builder: node-postgres on the client's own
// pool, named statements, columns aliased to Prisma's field names so rows map like Prisma's (json parsed, dates as Date).
// A new column of `run` goes here too; run.repository.int-spec.ts compares both paths field by field.
const RUN_COLUMNS = `id, team_id AS "teamId", model_name AS "modelName", benchmark, benchmark_version AS "benchmarkVersion",
  status, config, spec, total_samples AS "totalSamples", summary, error, created_at AS "createdAt",
  started_at AS "startedAt", finished_at AS "finishedAt", schedule_id AS "scheduleId", regression,
  source_run_id AS "sourceRunId", suite_run_id AS "suiteRunId"`;

/** Opaque keyset cursor over (createdAt desc, id desc); `createdAt` as a Date or its ISO text. */
function encodeCursor(row: { createdAt: Date | string; id: string }): string {
  const at = typeof row.createdAt === 'string' ? row.createdAt : row.createdAt.toISOString();
  return Buffer.from(`${at}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw PlatformError.invalid('page_token', 'is not a cursor this API returned');
  return { createdAt, id };
}

/**
 * The statement of a page of a team's runs: one named statement per combination of filters (a handful), parsed and
 * planned once per connection. Exported for bench/api-latency.bench.ts, which runs the same SQL straight on Postgres.
 */
export function runPageQuery(
  teamId: string,
  opts: { limit: number; cursor?: string; filter?: RunFilter },
  columns: string,
  statement: string,
): { name: string; text: string; values: unknown[] } {
  const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  const f = opts.filter ?? {};
  const values: unknown[] = [teamId];
  const where = ['team_id = $1'];
  const and = (column: string, value: unknown) => {
    values.push(value);
    where.push(`${column} = $${values.length}`);
  };
  if (f.modelName) and('model_name', f.modelName);
  if (f.benchmark) and('benchmark', f.benchmark);
  if (f.status) and('status', f.status);
  if (f.scheduleId) and('schedule_id', f.scheduleId);
  if (f.suiteRunId) and('suite_run_id', f.suiteRunId);
  if (after) {
    values.push(after.createdAt, after.id);
    where.push(`(created_at, id) < ($${values.length - 1}, $${values.length})`);
  }
  values.push(opts.limit + 1);
  const text = `SELECT ${columns} FROM run WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`;
  return { name: `${statement}:${where.map((w) => w.split(' ')[0]).join(',')}`, text, values };
}

/** The listing ListRuns sends (listJsonForTeam) as a statement, for the bench's direct baseline. */
export const runJsonPageQuery = (teamId: string, opts: { limit: number; cursor?: string; filter?: RunFilter }) =>
  runPageQuery(teamId, opts, RUN_JSON_PARTS_SQL, 'run-json-of-team');

// Creating a run writes the run and all its samples (in chunks of INSERT_CHUNK) in one transaction.
const CREATE_TRANSACTION = { timeout: 120_000, maxWait: 10_000 };
// Deleting one takes its samples with it in the same transaction: a 100k-sample run is one long statement.
const DELETE_TRANSACTION = { timeout: 120_000, maxWait: 10_000 };

async function insertWithSamples(tx: Prisma.TransactionClient, run: NewRun): Promise<{ run: RunRecord; sampleIds: string[] }> {
  const row = await tx.run.create({
    data: {
      teamId: run.teamId,
      modelName: run.modelName,
      benchmark: run.benchmark,
      benchmarkVersion: run.benchmarkVersion,
      config: run.config as unknown as Prisma.InputJsonValue,
      spec: run.spec as unknown as Prisma.InputJsonValue,
      totalSamples: run.samples.length,
      ...(run.scheduleId ? { scheduleId: run.scheduleId } : {}),
      ...(run.sourceRunId ? { sourceRunId: run.sourceRunId } : {}),
      ...(run.suiteRunId ? { suiteRunId: run.suiteRunId } : {}),
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
}

export class RunRepository implements RunStore {
  private readonly sql: Pool;

  constructor(private readonly prisma: PrismaClient) {
    this.sql = sqlPoolOf(prisma);
  }

  // A team's id never changes and teams are never deleted by the platform: every request resolved its team with two
  // queries (an insert and a read) before this, a third of the work of listing runs (bench/api-latency.bench.ts).
  private readonly teamIds = new Map<string, string>();

  async ensureTeam(name: string): Promise<string> {
    const known = this.teamIds.get(name);
    if (known) return known;
    // INSERT ... ON CONFLICT DO NOTHING, then read: Prisma's upsert is a read then a write, so two first requests of
    // a new team raced into a unique violation.
    await this.prisma.team.createMany({ data: [{ name }], skipDuplicates: true });
    const team = await this.prisma.team.findUniqueOrThrow({ where: { name }, select: { id: true } });
    if (this.teamIds.size >= 10_000) this.teamIds.clear();
    this.teamIds.set(name, team.id);
    return team.id;
  }

  async createWithSamples(run: NewRun): Promise<{ run: RunRecord; sampleIds: string[] }> {
    return this.prisma.$transaction((tx) => insertWithSamples(tx, run), CREATE_TRANSACTION);
  }

  async createRescore(run: NewRun & { sourceRunId: string }): Promise<{ run: RunRecord; sampleIds: string[] } | { inFlight: RunRecord }> {
    return this.prisma.$transaction(async (tx) => {
      // Held until commit: a second request for the same source waits here, then sees the first one's run.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`lemur:rescore:${run.sourceRunId}`}, 0))`;
      const inFlight = await tx.run.findFirst({
        where: { sourceRunId: run.sourceRunId, status: { in: ['QUEUED', 'RUNNING'] } },
        orderBy: { createdAt: 'desc' },
      });
      return inFlight ? { inFlight: toRecord(inFlight) } : insertWithSamples(tx, run);
    }, CREATE_TRANSACTION);
  }

  async findForTeam(teamId: string, id: string): Promise<RunRecord | null> {
    const { rows } = await this.sql.query<Run>({
      name: 'run-of-team',
      text: `SELECT ${RUN_COLUMNS} FROM run WHERE id = $1 AND team_id = $2`,
      values: [id, teamId],
    });
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async findById(id: string): Promise<RunRecord | null> {
    const row = await this.prisma.run.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async listForTeam(teamId: string, opts: { limit: number; cursor?: string; filter?: RunFilter }): Promise<Page<RunRecord>> {
    const page = await this.pageOfTeam<Run>(teamId, opts, RUN_COLUMNS, 'runs-of-team');
    return { items: page.items.map(toRecord), nextCursor: page.nextCursor };
  }

  async listJsonForTeam(teamId: string, opts: { limit: number; cursor?: string; filter?: RunFilter }): Promise<Page<RunJsonRow>> {
    return this.query<RunJsonRow>(runJsonPageQuery(teamId, opts), opts.limit);
  }

  private async pageOfTeam<T extends { createdAt: Date | string; id: string }>(
    teamId: string,
    opts: { limit: number; cursor?: string; filter?: RunFilter },
    columns: string,
    statement: string,
  ): Promise<Page<T>> {
    return this.query<T>(runPageQuery(teamId, opts, columns, statement), opts.limit);
  }

  private async query<T extends { createdAt: Date | string; id: string }>(statement: { name: string; text: string; values: unknown[] }, limit: number): Promise<Page<T>> {
    const { rows } = await this.sql.query<T>(statement);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }


  async listActive(): Promise<RunRecord[]> {
    // With the team's name: the workers serve these runs, and their model and sandbox calls carry it as their team.
    const rows = await this.prisma.run.findMany({
      where: { status: { in: ['QUEUED', 'RUNNING'] } },
      orderBy: { createdAt: 'asc' },
      include: { team: { select: { name: true } } },
    });
    return rows.map((row) => ({ ...toRecord(row), teamName: row.team.name }));
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

  async reopenErrored(id: string): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      // The run row first, as cancel and delete take it: locking its samples first could deadlock with a delete.
      await tx.$queryRaw`SELECT id FROM run WHERE id = ${id}::uuid FOR UPDATE`;
      const reopened = await tx.sample.updateManyAndReturn({
        where: { runId: id, status: 'ERRORED', run: { status: { in: ['SUCCEEDED', 'FAILED'] } } },
        // A fresh attempt budget: the retry is a new decision, not the old attempts continued.
        data: { status: 'PENDING', attempts: 0, error: null, startedAt: null, finishedAt: null },
        select: { id: true },
      });
      if (reopened.length === 0) return [];
      const { count } = await tx.run.updateMany({
        where: { id, status: { in: ['SUCCEEDED', 'FAILED'] } },
        data: { status: 'RUNNING', finishedAt: null, error: null, summary: Prisma.DbNull, regression: Prisma.DbNull },
      });
      // The run left its final state between the two statements (it cannot, short of a bug): undo the samples too.
      if (count !== 1) throw new Error(`run ${id} changed state while its errored samples were reopened`);
      return reopened.map((r) => r.id);
    });
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

  async deleteForTeam(of: RunOfTeam, refuse: (dependents: RunDependents) => void): Promise<{ run: RunRecord; deletedSamples: number } | null> {
    return this.prisma.$transaction(async (tx) => {
      // Held until commit: a cancel, finish, retry or re-scoring start of this run waits, then finds it gone (or kept).
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM run WHERE id = ${of.id}::uuid AND team_id = ${of.teamId}::uuid FOR UPDATE`;
      if (locked.length === 0) return null;
      const run = toRecord(await tx.run.findUniqueOrThrow({ where: { id: of.id } }));
      const baselineOf = await tx.schedule.findMany({ where: { teamId: of.teamId, baseline: of.id }, select: { id: true, name: true }, orderBy: { name: 'asc' } });
      const activeRescores = await tx.run.findMany({ where: { sourceRunId: of.id, status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true, status: true } });
      refuse({ run, baselineOf, activeRescores });
      if (run.suiteRunId) {
        // The suite keeps its member, saying why it has no run now, rather than showing it started with none.
        await tx.$executeRaw`UPDATE suite_run SET members = (
            SELECT jsonb_agg(CASE WHEN m->>'runId' = ${run.id} THEN m || jsonb_build_object('reason', ${`its run ${run.id} was deleted`}::text) ELSE m END ORDER BY i)
            FROM jsonb_array_elements(members) WITH ORDINALITY AS e(m, i))
          WHERE id = ${run.suiteRunId}::uuid`;
      }
      const { count } = await tx.sample.deleteMany({ where: { runId: of.id } });
      await tx.run.delete({ where: { id: of.id } });
      return { run, deletedSamples: count };
    }, DELETE_TRANSACTION);
  }
}
