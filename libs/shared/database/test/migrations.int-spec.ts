import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  createPrismaClient,
  defaultMigrationsDir,
  dropDatabase,
  ensureDatabase,
  NO_EXTERNAL_ENTITIES,
  openSchemaEngine,
  readMigrationsList,
  withDatabaseName,
} from '../src/index';

// Not @lemur/shared-testing: it depends on this library, and these tests exercise the pieces it is built from.
const serverUrl = process.env['TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const created: string[] = [];

async function freshDatabaseUrl(): Promise<string> {
  const url = withDatabaseName(serverUrl, `lemur_test_db_${randomBytes(6).toString('hex')}`);
  created.push(url);
  const { created: wasCreated } = await ensureDatabase(url);
  expect(wasCreated).toBe(true);
  return url;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await Promise.all(created.map((url) => dropDatabase(url)));
});

describe('applyMigrations', () => {
  it('applies every migration once, records it, and is a no-op the second time', async () => {
    const url = await freshDatabaseUrl();
    const { migrationDirectories } = await readMigrationsList(defaultMigrationsDir());
    const names = migrationDirectories.map((d) => d.path);
    expect(names.length).toBeGreaterThan(0);

    expect(await applyMigrations(url)).toEqual(names);
    expect(await applyMigrations(url)).toEqual([]);

    const rows = await query<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      url,
      'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    expect(rows.every((r) => r.finished_at !== null && r.rolled_back_at === null)).toBe(true);
  });

  it('lets concurrent callers race without applying anything twice', async () => {
    const url = await freshDatabaseUrl();
    const results = await Promise.all([applyMigrations(url), applyMigrations(url), applyMigrations(url)]);
    const { migrationDirectories } = await readMigrationsList(defaultMigrationsDir());
    expect(results.flat().sort()).toEqual(migrationDirectories.map((d) => d.path));
    const [{ count }] = (await query<{ count: number }>(url, 'SELECT count(*)::int AS count FROM _prisma_migrations')) as [
      { count: number },
    ];
    expect(count).toBe(migrationDirectories.length);
  });

  it('fails with a next step when the folder has no migrations', async () => {
    const url = await freshDatabaseUrl();
    await expect(applyMigrations(url, { migrationsDir: join(defaultMigrationsDir(), 'does-not-exist') })).rejects.toThrow(
      /no migrations .*prisma-migrate-diff/,
    );
  });

  it('creates run_summary_v, which counts samples by status and leaves unscored samples out of the mean', async () => {
    const url = await freshDatabaseUrl();
    await applyMigrations(url);
    const prisma = createPrismaClient(url);
    try {
      const team = await prisma.team.create({ data: { name: 'core' } });
      const run = await prisma.run.create({
        data: {
          teamId: team.id,
          modelName: 'lemur-70b',
          benchmark: 'humaneval',
          benchmarkVersion: '1',
          config: {},
          spec: {},
          totalSamples: 3,
          samples: {
            create: [
              { itemId: 'a', itemIndex: 0, sampleIndex: 0, status: 'SCORED', score: 1, passed: true, promptTokens: 10 },
              { itemId: 'b', itemIndex: 1, sampleIndex: 0, status: 'SCORED', score: 0, passed: false, promptTokens: 5 },
              { itemId: 'c', itemIndex: 2, sampleIndex: 0, status: 'ERRORED', error: 'timeout' },
            ],
          },
        },
      });
      const rows = await query(url, 'SELECT * FROM run_summary_v WHERE run_id = $1', [run.id]);
      expect(rows).toEqual([
        expect.objectContaining({
          team_name: 'core',
          scored_samples: 2,
          errored_samples: 1,
          pending_samples: 0,
          passed_samples: 1,
          mean_score: 0.5,
          prompt_tokens: '15',
        }),
      ]);
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe('prisma/migrations', () => {
  it('matches prisma/schema.prisma (a schema change without its migration fails here)', async () => {
    const migrationsList = await readMigrationsList(defaultMigrationsDir());
    const schemaPath = join(defaultMigrationsDir(), '..', 'schema.prisma');
    const schema = await readFile(schemaPath, 'utf8');
    const { engine, close } = await openSchemaEngine(serverUrl, [[schemaPath, schema]]);
    try {
      const { stdout } = await engine.diff({
        from: { tag: 'migrations', ...migrationsList },
        to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
        script: true,
        exitCode: null,
        filters: NO_EXTERNAL_ENTITIES,
      });
      const statements = (stdout ?? '').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('--'));
      expect(statements, 'run scripts/prisma-migrate-diff.ts --name <change>').toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('ensureDatabase', () => {
  it('creates a database once even when two callers race', async () => {
    const url = withDatabaseName(serverUrl, `lemur_test_db_${randomBytes(6).toString('hex')}`);
    created.push(url);
    const results = await Promise.all([ensureDatabase(url), ensureDatabase(url)]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await query(url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});
