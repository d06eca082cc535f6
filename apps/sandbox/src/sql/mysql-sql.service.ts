import { randomBytes } from 'node:crypto';
import {
  formatSqlResult,
  isValidMysqlDatabaseName,
  normalizeSqlStatement,
  type ExecResult,
  type SqlValue,
} from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import mysql, { type Connection, type FieldPacket, type Pool, type QueryError } from 'mysql2';
import { MYSQL_META_DATABASE } from './mysql-dump-loader.service';

/** Databases no per-run user may be granted, whatever the request says. */
const SYSTEM_DATABASES = new Set(['mysql', 'information_schema', 'performance_schema', 'sys', MYSQL_META_DATABASE]);
const CONNECT_TIMEOUT_MS = 5_000;
const RUN_USER_PREFIX = 'lemur_run_';
/** Per-run users older than this are leftovers of a crashed service (runs last at most the operator's maximum wall time). */
const STALE_USER_MS = 15 * 60_000;

/** `lemur_run_<creation time, base 36>_<random>`: the time lets a restarted service tell leftovers from live runs. */
function runUserName(now: number): string {
  return `${RUN_USER_PREFIX}${now.toString(36)}_${randomBytes(6).toString('hex')}`;
}

function runUserCreatedAt(user: string): number | null {
  const m = /^lemur_run_([0-9a-z]+)_[0-9a-f]+$/.exec(user);
  return m?.[1] ? parseInt(m[1], 36) : null;
}

/** One SQL statement against a loaded MySQL/MariaDB database. */
export interface MysqlSqlRequest {
  database: string;
  sql: string;
  maxRows: number;
  wallMs: number;
  outputBytes: number;
}

/** Where the per-run users connect (the admin URL's host and port). */
export interface MysqlEndpoint {
  host: string;
  port: number;
}

function cellValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return JSON.stringify(v);
}

function errorLine(err: QueryError): string {
  return err.errno !== undefined && err.sqlState !== undefined ? `ERROR ${err.errno} (${err.sqlState}): ${err.message}` : `ERROR: ${err.message}`;
}

/**
 * Runs model-written SQL with a user made for that run alone: SELECT on the named database only, one connection,
 * MAX_STATEMENT_TIME, dropped afterwards. The server's own statement limit can be lifted by the statement itself
 * (`SET STATEMENT max_statement_time=0 FOR ...`), so a timer that kills the query from the admin side is the real bound.
 */
export class MysqlSqlService {
  constructor(
    private readonly admin: Pool,
    private readonly endpoint: MysqlEndpoint,
    private readonly databasePrefix: string,
    private readonly logger: Logger,
  ) {}

  async execute(req: MysqlSqlRequest): Promise<ExecResult> {
    const field = 'database.mysqlDatabase';
    if (!isValidMysqlDatabaseName(req.database)) throw PlatformError.invalid(field, 'must be a database name of letters, digits and _');
    if (SYSTEM_DATABASES.has(req.database.toLowerCase())) throw PlatformError.invalid(field, `${req.database} is not a data database`);
    const database = `${this.databasePrefix}${req.database}`;
    if (!isValidMysqlDatabaseName(database)) throw PlatformError.invalid(field, 'is too long');
    const [found] = await this.adminQuery<{ n: number }[]>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
      database,
    ]);
    if (!found || Number(found.n) === 0) throw PlatformError.invalid(field, `no database ${req.database} on the sandbox's MySQL server`);

    const user = runUserName(Date.now());
    const password = randomBytes(18).toString('base64url');
    const statementSeconds = Math.max(0.1, req.wallMs / 1000);
    await this.adminQuery(`CREATE USER ?@'%' IDENTIFIED BY ? WITH MAX_USER_CONNECTIONS 1 MAX_STATEMENT_TIME ${statementSeconds.toFixed(3)}`, [
      user,
      password,
    ]);
    let threadId: number | null = null;
    try {
      await this.adminQuery(`GRANT SELECT ON \`${database}\`.* TO ?@'%'`, [user]);
      return await this.run({ ...req, database }, user, password, (id) => (threadId = id));
    } finally {
      // A dropped user's open connection lives on: end it first.
      if (threadId !== null) await this.adminQuery(`KILL CONNECTION ${threadId}`).catch(() => undefined);
      await this.adminQuery(`DROP USER IF EXISTS ?@'%'`, [user]).catch((err: unknown) =>
        this.logger.error({ err, user }, 'cannot drop per-run MySQL user; drop it by hand'),
      );
    }
  }

  /** The data databases requests may name: the server's, with the service's prefix, system databases left out. */
  async databases(): Promise<string[]> {
    const rows = await this.adminQuery<{ name: string }[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME');
    return rows
      .map((r) => r.name)
      .filter((name) => name.startsWith(this.databasePrefix))
      .map((name) => name.slice(this.databasePrefix.length))
      .filter((name) => name !== '' && !SYSTEM_DATABASES.has(name.toLowerCase()) && isValidMysqlDatabaseName(name));
  }

  /** Drops per-run users a crashed service left behind; users of runs that may still be going are kept. */
  async sweepStaleUsers(now: number = Date.now()): Promise<number> {
    const rows = await this.adminQuery<{ user: string; host: string }[]>(
      "SELECT User AS user, Host AS host FROM mysql.user WHERE User LIKE 'lemur\\_run\\_%'",
    );
    let dropped = 0;
    for (const { user, host } of rows) {
      const created = runUserCreatedAt(user);
      if (created === null || now - created < STALE_USER_MS) continue;
      await this.adminQuery('DROP USER IF EXISTS ?@?', [user, host]);
      dropped += 1;
    }
    if (dropped > 0) this.logger.warn({ dropped }, 'dropped per-run MySQL users left by an earlier service');
    return dropped;
  }

  private async run(req: MysqlSqlRequest, user: string, password: string, onThread: (id: number) => void): Promise<ExecResult> {
    const started = performance.now();
    const conn = mysql.createConnection({
      host: this.endpoint.host,
      port: this.endpoint.port,
      user,
      password,
      database: req.database,
      connectTimeout: CONNECT_TIMEOUT_MS,
      multipleStatements: false,
      dateStrings: true,
      supportBigNumbers: true,
      // LOAD DATA LOCAL would make this client send a file of the service's host to the server.
      flags: ['-LOCAL_FILES'],
    });
    conn.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      conn.destroy();
      throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, 'cannot connect to the sandbox MySQL server as the run user', { cause: err });
    }
    onThread(conn.threadId);
    const outcome = await this.stream(conn, normalizeSqlStatement(req.sql), req.maxRows, req.wallMs);
    conn.destroy();
    const wallMs = Math.round(performance.now() - started);
    // The work happens in the database server: no sandbox CPU time to report.
    const base = { signal: null, stdoutTruncated: false, stderrTruncated: false, memoryExceeded: false, wallMs, cpuMs: 0 } as const;
    if (outcome.kind === 'timeout') {
      return { ...base, exitCode: 1, stdout: '', stderr: `lemur-sql: statement time limit of ${req.wallMs} ms exceeded\n`, timedOut: true, limitHit: 'wall_time' };
    }
    if (outcome.kind === 'error') {
      // The server's own MAX_STATEMENT_TIME fired first (ER_STATEMENT_TIMEOUT): the same limit, reported the same way.
      const timedOut = outcome.error.errno === 1969;
      return { ...base, exitCode: 1, stdout: '', stderr: `${errorLine(outcome.error)}\n`, timedOut, limitHit: timedOut ? 'wall_time' : null };
    }
    const stdout = formatSqlResult(outcome.result);
    if (Buffer.byteLength(stdout) > req.outputBytes) {
      return {
        ...base,
        exitCode: 1,
        stdout: Buffer.from(stdout).subarray(0, req.outputBytes).toString('utf8'),
        stdoutTruncated: true,
        stderr: `lemur-sql: result larger than the output limit of ${req.outputBytes} bytes\n`,
        timedOut: false,
        limitHit: 'output',
      };
    }
    return { ...base, exitCode: 0, stdout, stderr: '', timedOut: false, limitHit: outcome.result.truncated ? 'rows' : null };
  }

  /** Reads at most maxRows + 1 rows as they arrive, then stops the query on the server. */
  private stream(
    conn: Connection,
    sql: string,
    maxRows: number,
    wallMs: number,
  ): Promise<
    | { kind: 'ok'; result: { columns: string[]; rows: SqlValue[][]; truncated: boolean } }
    | { kind: 'error'; error: QueryError }
    | { kind: 'timeout' }
  > {
    return new Promise((resolve) => {
      let columns: string[] = [];
      const rows: SqlValue[][] = [];
      let truncated = false;
      let settled = false;
      const finish = (value: Parameters<typeof resolve>[0]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const stopQuery = () => this.adminQuery(`KILL QUERY ${conn.threadId}`).catch(() => undefined);
      const timer = setTimeout(() => {
        void stopQuery();
        finish({ kind: 'timeout' });
      }, wallMs);

      const query = conn.query({ sql, rowsAsArray: true });
      query.on('fields', (fields: FieldPacket[]) => {
        columns = fields.map((f) => f.name);
      });
      query.on('result', (row: unknown) => {
        if (settled || !Array.isArray(row)) return;
        if (rows.length >= maxRows) {
          truncated = true;
          conn.pause();
          void stopQuery();
          finish({ kind: 'ok', result: { columns, rows, truncated } });
          return;
        }
        rows.push(row.map(cellValue));
      });
      query.on('error', (error: QueryError) => finish({ kind: 'error', error }));
      query.on('end', () => {
        if (settled) return;
        if (truncated) return finish({ kind: 'ok', result: { columns, rows, truncated } });
        // A function the server interrupts at MAX_STATEMENT_TIME (BENCHMARK() does) ends with its usual row and no
        // error or warning; the session's own counter of interrupted statements is what tells.
        conn.query({ sql: "SHOW SESSION STATUS LIKE 'Max_statement_time_exceeded'", rowsAsArray: true }, (err, status) => {
          const exceeded = !err && Array.isArray(status) && Number((status[0] as unknown[] | undefined)?.[1] ?? 0) > 0;
          finish(exceeded ? { kind: 'timeout' } : { kind: 'ok', result: { columns, rows, truncated } });
        });
      });
    });
  }

  private async adminQuery<T = unknown>(sql: string, values: unknown[] = []): Promise<T> {
    const [rows] = await this.admin.promise().query(sql, values);
    return rows as T;
  }
}
