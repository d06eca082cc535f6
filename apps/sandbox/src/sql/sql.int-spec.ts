import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxV1 } from '@lemur/proto';
import { parseSqlResult } from '@lemur/sandbox-policy';
import { type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { createTestMysql, freePort } from '@lemur/shared-testing';
import { createPool } from 'mysql2';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSandboxConfig } from '../config/sandbox.config';
import { startSandbox } from '../sandbox.app';
import { MysqlDumpLoaderService, findSpiderDump } from './mysql-dump-loader.service';
import { MysqlSqlService } from './mysql-sql.service';

type Client = GrpcClient<(typeof sandboxV1.SandboxService)['method']>;
type Request = Parameters<Client['execute']>[0];

const dump = findSpiderDump();
let app: RunningGrpcApp;
let client: Client;
let admin: mysql.Connection;
let mysqlUrl: string;
let prefix: string;
let sqliteDb: Uint8Array;

function makeSqliteFile(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'lemur-sqlite-'));
  try {
    const file = join(dir, 'shop.db');
    execFileSync('/usr/bin/python3', [
      '-c',
      [
        'import sqlite3, sys',
        'con = sqlite3.connect(sys.argv[1])',
        'con.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, price REAL, raw BLOB)")',
        'con.executemany("INSERT INTO item VALUES (?, ?, ?, ?)", [(i, f"item{i}", i * 1.5, bytes([i])) for i in range(1, 6)])',
        'con.commit()',
      ].join('\n'),
      file,
    ]);
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  if (dump === null) throw new Error('the Spider MySQL dump is missing: expected shared/datasets/intercode/sql/spider/ic_spider_dbs.sql');
  const server = await createTestMysql();
  mysqlUrl = server.url;
  prefix = `${server.uniqueName('sql')}_`;
  sqliteDb = makeSqliteFile();
  const port = await freePort();
  app = await startSandbox(
    loadSandboxConfig({
      SANDBOX_GRPC_URL: `127.0.0.1:${port}`,
      SANDBOX_METRICS_PORT: '0',
      SANDBOX_MAX_CONCURRENT: '2',
      LOG_LEVEL: 'silent',
      SANDBOX_MYSQL_URL: mysqlUrl,
      SANDBOX_MYSQL_DUMP: dump,
      SANDBOX_MYSQL_DB_PREFIX: prefix,
    }),
  );
  client = createGrpcClient(sandboxV1.SandboxService, app.grpcUrl, { defaultDeadlineMs: 60_000 });
  admin = await mysql.createConnection({ uri: mysqlUrl });
}, 120_000);

afterAll(async () => {
  client?.close();
  await app?.close();
  await admin?.end();
  if (dump !== null && prefix) await new MysqlDumpLoaderService(mysqlUrl, createLogger('test', 'silent')).unload(dump, prefix);
});

const sqlite = (code: string, extra: Pick<Request, 'files' | 'database' | 'limits'> = {}) =>
  client.execute({
    language: sandboxV1.Language.SQL,
    code,
    files: extra.files ?? [{ path: 'db/shop.db', content: sqliteDb }],
    database: extra.database ?? { source: { case: 'sqliteFile', value: 'db/shop.db' } },
    ...(extra.limits ? { limits: extra.limits } : {}),
  });

const mysqlRun = (code: string, opts: { maxRows?: number; wallMs?: number; database?: string } = {}) =>
  client.execute({
    language: sandboxV1.Language.SQL,
    code,
    database: { source: { case: 'mysqlDatabase', value: opts.database ?? 'concert_singer' }, maxRows: opts.maxRows ?? 0 },
    ...(opts.wallMs ? { limits: { wallMs: opts.wallMs } } : {}),
  });

async function invalidField(request: Promise<unknown>): Promise<string | undefined> {
  const err = await request.then(
    () => null,
    (e: unknown) => e as PlatformError,
  );
  expect(err?.code).toBe('INVALID_ARGUMENT');
  return err?.field;
}

describe('SQL on SQLite, inside the sandbox', () => {
  it('returns the rows as one JSON line', async () => {
    const r = await sqlite('SELECT id, name, price, raw FROM item WHERE id <= 2 ORDER BY id;');
    expect(r).toMatchObject({ exitCode: 0, stderr: '', limitHit: sandboxV1.LimitHit.NONE });
    expect(r.stdout).toBe('{"columns":["id","name","price","raw"],"rows":[[1,"item1",1.5,"01"],[2,"item2",3.0,"02"]],"truncated":false}\n');
  });

  it('stops at the row limit and says so', async () => {
    const r = await sqlite('SELECT id FROM item ORDER BY id', { database: { source: { case: 'sqliteFile', value: 'db/shop.db' }, maxRows: 2 } });
    expect(parseSqlResult(r.stdout)).toEqual({ columns: ['id'], rows: [[1], [2]], truncated: true });
    expect(r.limitHit).toBe(sandboxV1.LimitHit.ROWS);
  });

  it('opens the database read-only and refuses ATTACH', async () => {
    for (const sql of ['DELETE FROM item', 'CREATE TABLE x (a)', "ATTACH DATABASE '/workspace/other.db' AS o"]) {
      const r = await sqlite(sql);
      expect([sql, r.exitCode, r.stdout]).toEqual([sql, 1, '']);
      expect(r.stderr).toMatch(/readonly database|not authorized/);
    }
  });

  it('bounds a runaway statement by time', async () => {
    const r = await sqlite('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n', { limits: { wallMs: 2_500 } });
    expect(r).toMatchObject({ exitCode: 1, timedOut: true, limitHit: sandboxV1.LimitHit.WALL_TIME });
    expect(r.stderr).toContain('statement time limit');
  });

  it('reports SQL errors on stderr with exit code 1', async () => {
    const r = await sqlite('SELECT nope FROM item');
    expect(r).toMatchObject({ exitCode: 1, stdout: '' });
    expect(r.stderr).toContain('no such column: nope');
  });

  it('rejects requests without a usable database', async () => {
    expect(await invalidField(client.execute({ language: sandboxV1.Language.SQL, code: 'SELECT 1' }))).toBe('database');
    expect(await invalidField(sqlite('SELECT 1', { files: [] }))).toBe('database.sqliteFile');
    expect(await invalidField(sqlite('SELECT 1', { database: { source: { case: 'sqliteFile', value: 'db/shop.db' }, maxRows: 10_000_000 } }))).toBe(
      'database.maxRows',
    );
  });
});

describe('SQL on MySQL through a per-run read-only user', () => {
  const checksums = async () => {
    const [rows] = await admin.query(`CHECKSUM TABLE \`${prefix}concert_singer\`.singer, \`${prefix}concert_singer\`.concert`);
    return rows;
  };
  const runUsers = async () => {
    const [rows] = (await admin.query("SELECT user FROM mysql.user WHERE user LIKE 'lemur\\_run\\_%'")) as unknown as [{ user: string }[]];
    return rows.length;
  };

  it('loaded the Spider dump once, without its admin account', async () => {
    const again = await new MysqlDumpLoaderService(mysqlUrl, createLogger('test', 'silent')).load(dump!, { databasePrefix: prefix });
    expect(again.loaded).toBe(false);
    expect(again.databases).toHaveLength(20);
    const [admins] = (await admin.query("SELECT user FROM mysql.user WHERE user = 'admin'")) as unknown as [unknown[]];
    expect(admins).toEqual([]);
    // GetCapabilities lists them as requests name them (no prefix), and never the system or loader databases.
    const caps = await client.getCapabilities({});
    expect(caps.mysqlDatabases).toEqual(expect.arrayContaining([...again.databases.map((d) => d.slice(prefix.length))].sort()));
    expect(caps.mysqlDatabases).toContain('concert_singer');
    expect(caps.mysqlDatabases.filter((d) => /^(mysql|information_schema|performance_schema|sys|lemur_sandbox_meta)$/i.test(d))).toEqual([]);
  });

  it('answers a query', async () => {
    const r = await mysqlRun('SELECT Concert_ID, concert_Name FROM concert WHERE Year = 2015 ORDER BY Concert_ID;');
    expect(r.exitCode).toBe(0);
    expect(parseSqlResult(r.stdout)).toEqual({
      columns: ['Concert_ID', 'concert_Name'],
      rows: [
        [3, 'Home Visits'],
        [5, 'Week 1'],
        [6, 'Week 2'],
      ],
      truncated: false,
    });
  });

  it('keeps hostile SQL from changing, leaking or exhausting anything', async () => {
    const before = await checksums();
    const denied = /command denied|Access denied|FILE privilege|doesn't exist|Unknown database|LOCAL INFILE|not allowed|You have an error/;
    const cases: { name: string; sql: string; wallMs?: number; expect: (r: sandboxV1.ExecuteResponse) => void }[] = [
      { name: 'drop', sql: 'DROP TABLE singer', expect: (r) => expect(r.stderr).toMatch(denied) },
      { name: 'insert', sql: "INSERT INTO concert VALUES (99, 'x', 'y', 1, '2020')", expect: (r) => expect(r.stderr).toMatch(denied) },
      { name: 'update', sql: 'UPDATE singer SET Age = 0', expect: (r) => expect(r.stderr).toMatch(denied) },
      { name: 'delete', sql: 'DELETE FROM singer_in_concert', expect: (r) => expect(r.stderr).toMatch(denied) },
      { name: 'grant', sql: `GRANT ALL ON *.* TO CURRENT_USER()`, expect: (r) => expect(r.stderr).toMatch(denied) },
      { name: 'other database', sql: `SELECT * FROM \`${prefix}museum_visit\`.museum`, expect: (r) => expect(r.stderr).toMatch(denied) },
      { name: 'system tables', sql: 'SELECT user, password FROM mysql.user', expect: (r) => expect(r.stderr).toMatch(denied) },
      { name: 'into outfile', sql: "SELECT * FROM singer INTO OUTFILE '/tmp/lemur-sql-out'", expect: (r) => expect(r.stderr).toMatch(denied) },
      {
        name: 'load data local',
        sql: "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE singer",
        expect: (r) => expect(r.stderr).toMatch(denied),
      },
      {
        name: 'load_file',
        sql: "SELECT LOAD_FILE('/etc/passwd') AS f",
        expect: (r) => expect(parseSqlResult(r.stdout)?.rows).toEqual([[null]]),
      },
      {
        name: 'sleep',
        sql: 'SELECT SLEEP(100)',
        wallMs: 1_500,
        expect: (r) => expect(r).toMatchObject({ timedOut: true, limitHit: sandboxV1.LimitHit.WALL_TIME }),
      },
      {
        name: 'sleep with the statement limit lifted',
        sql: 'SET STATEMENT max_statement_time=0 FOR SELECT SLEEP(100)',
        wallMs: 1_500,
        expect: (r) => expect(r).toMatchObject({ timedOut: true, limitHit: sandboxV1.LimitHit.WALL_TIME }),
      },
      {
        name: 'cross join bomb',
        sql: 'SELECT COUNT(*) FROM singer a, singer b, singer c, singer d, singer e, singer f, singer g, singer h, singer i, singer j',
        wallMs: 1_500,
        expect: (r) => expect(r).toMatchObject({ timedOut: true, limitHit: sandboxV1.LimitHit.WALL_TIME }),
      },
      {
        name: 'cross join rows',
        sql: 'SELECT * FROM singer a, singer b, singer c, singer d, singer e, singer f',
        expect: (r) => {
          expect(r.limitHit).toBe(sandboxV1.LimitHit.ROWS);
          expect(parseSqlResult(r.stdout)?.rows).toHaveLength(1_000);
        },
      },
      {
        name: 'benchmark',
        sql: "SELECT BENCHMARK(10000000000, MD5('x'))",
        wallMs: 1_500,
        expect: (r) => expect(r.timedOut).toBe(true),
      },
    ];
    for (const c of cases) {
      const started = Date.now();
      const r = await mysqlRun(c.sql, c.wallMs ? { wallMs: c.wallMs } : {});
      expect(Date.now() - started, c.name).toBeLessThan(15_000);
      if (c.name !== 'load_file' && c.name !== 'cross join rows') expect([c.name, r.exitCode]).toEqual([c.name, 1]);
      c.expect(r);
    }
    const show = await mysqlRun('SHOW DATABASES');
    expect(parseSqlResult(show.stdout)?.rows.flat().sort()).toEqual(['information_schema', `${prefix}concert_singer`].sort());
    expect(await checksums()).toEqual(before);
    expect(await runUsers()).toBe(0);
    const after = await mysqlRun('SELECT COUNT(*) FROM singer');
    expect(parseSqlResult(after.stdout)?.rows).toEqual([[6]]);
  });

  it('sweeps per-run users a crashed service left behind, and only those', async () => {
    const stale = `lemur_run_${(Date.now() - 3_600_000).toString(36)}_00aa${randomBytes(2).toString('hex')}`;
    const live = `lemur_run_${Date.now().toString(36)}_00bb${randomBytes(2).toString('hex')}`;
    for (const user of [stale, live]) await admin.query("CREATE USER ?@'%' IDENTIFIED BY 'x'", [user]);
    const pool = createPool({ uri: mysqlUrl });
    try {
      const service = new MysqlSqlService(pool, { host: '127.0.0.1', port: 3306 }, prefix, createLogger('test', 'silent'));
      expect(await service.sweepStaleUsers()).toBeGreaterThanOrEqual(1);
      const [left] = (await admin.query('SELECT User AS user FROM mysql.user WHERE User IN (?, ?)', [stale, live])) as unknown as [{ user: string }[]];
      expect(left.map((r) => r.user)).toEqual([live]);
    } finally {
      await admin.query("DROP USER IF EXISTS ?@'%'", [live]);
      await pool.promise().end();
    }
  });

  it('refuses system and unknown databases', async () => {
    expect(await invalidField(mysqlRun('SELECT 1', { database: 'mysql' }))).toBe('database.mysqlDatabase');
    expect(await invalidField(mysqlRun('SELECT 1', { database: 'no_such_db' }))).toBe('database.mysqlDatabase');
    expect(await invalidField(mysqlRun('SELECT 1', { database: 'x`; DROP' }))).toBe('database.mysqlDatabase');
  });
});
