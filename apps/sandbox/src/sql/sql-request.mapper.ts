import type { sandboxV1 } from '@lemur/proto';
import type { SandboxLimits } from '@lemur/sandbox-policy';
import { PlatformError } from '@lemur/shared-errors';
import type { SqlRunRequest } from './sql-execute.service';

/** The SQL part of an ExecuteRequest: `database` names a SQLite file in `files` or a loaded MySQL database. */
export function sqlRunRequest(req: sandboxV1.ExecuteRequest, limits: Partial<SandboxLimits>): SqlRunRequest {
  const source = req.database?.source;
  let database: SqlRunRequest['database'];
  switch (source?.case) {
    case 'sqliteFile':
      database = { kind: 'sqlite', file: source.value };
      break;
    case 'mysqlDatabase':
      database = { kind: 'mysql', name: source.value };
      break;
    default:
      throw PlatformError.invalid('database', 'is required for SQL: a sqlite_file in the workspace or a mysql_database');
  }
  if (req.stdin) throw PlatformError.invalid('stdin', 'is not used by SQL programs; leave it empty');
  return {
    language: 'sql',
    sql: req.code,
    database,
    maxRows: req.database?.maxRows ?? 0,
    ...(req.files.length ? { files: req.files.map((f) => ({ path: f.path, content: f.content })) } : {}),
    limits,
  };
}
