import { resolveSqlMaxRows, type ExecResult, type SandboxLimits } from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import mysql, { type Pool } from 'mysql2';
import type { ExecBackend } from '../execute/sandbox-backend';
import type { WorkspaceFile } from '../local';
import { MysqlDumpLoaderService } from './mysql-dump-loader.service';
import { MysqlSqlService } from './mysql-sql.service';
import { SqliteSqlService } from './sqlite-sql.service';

/** One SQL program and the database it reads. */
export interface SqlExecRequest {
  sql: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'mysql'; name: string };
  /** 0 = the default row limit. */
  maxRows: number;
  files?: WorkspaceFile[];
  limits: Partial<SandboxLimits>;
}

/** A SQL request as the execute service queues it beside Python and bash runs. */
export type SqlRunRequest = SqlExecRequest & { language: 'sql' };

/** How to reach MySQL/MariaDB, from the service's config. */
export interface SqlServiceOptions {
  backend: ExecBackend;
  logger: Logger;
  /** Admin URL (mysql://user:password@host:port); without it only SQLite is served. */
  mysqlUrl?: string;
  /** A dump to load once at start-up (the Spider databases). */
  mysqlDumpFile?: string;
  /** Prefix the loaded databases carry on the server (requests name them without it). */
  mysqlDatabasePrefix?: string;
}

/** SQL for the sandbox service: SQLite inside the sandbox, MySQL through per-run read-only users. */
export class SqlExecuteService {
  private constructor(
    private readonly sqlite: SqliteSqlService,
    private readonly mysql: MysqlSqlService | null,
    private readonly backend: ExecBackend,
    private readonly pool: Pool | null,
  ) {}

  /** Connects to MySQL (when configured) and loads the dump; a MySQL failure only disables MySQL, with the reason logged. */
  static async start(opts: SqlServiceOptions): Promise<SqlExecuteService> {
    const logger = opts.logger.child({ context: 'SqlExecuteService' });
    const sqlite = new SqliteSqlService(opts.backend);
    if (!opts.mysqlUrl) return new SqlExecuteService(sqlite, null, opts.backend, null);
    const url = new URL(opts.mysqlUrl);
    const prefix = opts.mysqlDatabasePrefix ?? '';
    const pool = mysql.createPool({ uri: opts.mysqlUrl, connectionLimit: 4, flags: ['-LOCAL_FILES'] });
    try {
      await pool.promise().query('SELECT 1');
      if (opts.mysqlDumpFile) {
        const outcome = await new MysqlDumpLoaderService(opts.mysqlUrl, logger).load(opts.mysqlDumpFile, { databasePrefix: prefix });
        logger.info({ databases: outcome.databases.length, loaded: outcome.loaded, ms: outcome.ms }, 'MySQL databases ready');
      }
    } catch (err) {
      logger.error({ err, host: url.host }, 'MySQL unavailable: SQL against mysql_database will fail until the service restarts');
    }
    const endpoint = { host: url.hostname, port: Number(url.port || 3306) };
    const mysqlService = new MysqlSqlService(pool, endpoint, prefix, logger);
    await mysqlService.sweepStaleUsers().catch((err: unknown) => logger.warn({ err }, 'cannot sweep stale per-run MySQL users'));
    return new SqlExecuteService(sqlite, mysqlService, opts.backend, pool);
  }

  /** The MySQL databases requests may name; empty without a MySQL server or while it cannot be reached. */
  async mysqlDatabases(): Promise<string[]> {
    if (this.mysql === null) return [];
    return this.mysql.databases().catch(() => []);
  }

  async execute(req: SqlExecRequest): Promise<ExecResult> {
    const maxRows = resolveSqlMaxRows(req.maxRows);
    if (typeof maxRows !== 'number') throw PlatformError.invalid('database.maxRows', maxRows.error);
    if (req.database.kind === 'sqlite') {
      return this.sqlite.execute({ sql: req.sql, sqliteFile: req.database.file, maxRows, files: req.files, limits: req.limits });
    }
    if (this.mysql === null) {
      throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, 'this sandbox has no MySQL server; set SANDBOX_MYSQL_URL and restart it');
    }
    const limits = this.backend.resolveLimits(req.limits);
    return this.mysql.execute({ database: req.database.name, sql: req.sql, maxRows, wallMs: limits.wallMs, outputBytes: limits.outputBytes });
  }

  async close(): Promise<void> {
    await this.pool?.promise().end();
  }
}
