/**
 * SQL runs through the sandbox with one output contract for both database kinds, so scorers and the CLI parse one thing:
 *
 * - success: exit code 0, stdout is exactly one line of JSON, `{"columns":[...],"rows":[[...],...],"truncated":false}`,
 *   rows as arrays in column order; `truncated` is true when the statement produced more than `max_rows` rows (the run
 *   then also reports limit ROWS). Values are JSON numbers, strings or null; SQLite blobs and MySQL binary strings are
 *   lower-case hex strings. A statement that returns no result set (e.g. a refused write) gives `columns: []`.
 * - a SQL error: exit code 1, stdout empty, stderr one line with the database's message (MySQL errors keep their code,
 *   e.g. `ERROR 1142 (42000): SELECT command denied ...`).
 * - the statement time bound (the run's wall time): exit code 1, timed out, limit WALL_TIME, stderr says so.
 * - anything the sandbox itself stopped (memory, output cap, the interpreter's wall clock) is reported as for any program.
 */
export interface SqlResultSet {
  columns: string[];
  rows: SqlValue[][];
  truncated: boolean;
}

/** One cell of a result row. */
export type SqlValue = number | string | null;

/** Rows returned when a request names no `max_rows`. */
export const DEFAULT_SQL_MAX_ROWS = 1_000;
/** Most rows a request may ask for. */
export const MAX_SQL_MAX_ROWS = 100_000;

/** Row limit of a request: 0 means the default; above the maximum is rejected, never clamped. */
export function resolveSqlMaxRows(requested: number): number | { error: string } {
  if (!Number.isInteger(requested) || requested < 0) return { error: 'must be a non-negative integer' };
  if (requested === 0) return DEFAULT_SQL_MAX_ROWS;
  if (requested > MAX_SQL_MAX_ROWS) return { error: `must be at most ${MAX_SQL_MAX_ROWS}` };
  return requested;
}

/** The stdout of a successful SQL run (one JSON line). */
export function formatSqlResult(result: SqlResultSet): string {
  return `${JSON.stringify({ columns: result.columns, rows: result.rows, truncated: result.truncated })}\n`;
}

/** Parses the stdout of a successful SQL run; null when it is not one (e.g. a run the sandbox killed). */
export function parseSqlResult(stdout: string): SqlResultSet | null {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { columns, rows, truncated } = value as Record<string, unknown>;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) return null;
  if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r) && r.every(isSqlValue))) return null;
  if (typeof truncated !== 'boolean') return null;
  return { columns, rows: rows as SqlValue[][], truncated };
}

function isSqlValue(v: unknown): v is SqlValue {
  return v === null || typeof v === 'string' || typeof v === 'number';
}

/** A plain-text table of a result set for people (the CLI); the JSON stays the machine format. */
export function renderSqlTable(result: SqlResultSet): string {
  const cell = (v: SqlValue): string => (v === null ? 'NULL' : String(v)).replace(/[\r\n\t]/g, ' ');
  const header = result.columns;
  const body = result.rows.map((r) => r.map(cell));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ').trimEnd();
  const out = header.length ? [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(line)] : [];
  const count = `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${result.truncated ? ', truncated at the row limit' : ''})`;
  return [...out, count].join('\n');
}

/**
 * The model's SQL as one statement for the driver: surrounding whitespace and trailing semicolons go (models end
 * statements with `;`, which a single-statement protocol would otherwise reject).
 */
export function normalizeSqlStatement(sql: string): string {
  return sql.trim().replace(/[\s;]+$/, '');
}

/** Database names a request may name: what the Spider dump uses, and nothing a quoted identifier could escape from. */
export function isValidMysqlDatabaseName(name: string): boolean {
  return /^[A-Za-z0-9_]{1,64}$/.test(name);
}

/** A MySQL dump ready to load: account statements removed, databases optionally renamed. */
export interface PreparedSqlDump {
  sql: string;
  /** Databases the dump creates, after renaming, in order. */
  databases: string[];
}

// Account and privilege statements are the operator's business: the dump's `admin`/`admin` superuser must never exist.
const ACCOUNT_STATEMENT = /^\s*(CREATE\s+USER|DROP\s+USER|ALTER\s+USER|RENAME\s+USER|GRANT|REVOKE|SET\s+PASSWORD|FLUSH\s+PRIVILEGES)\b/i;
const CREATE_DATABASE = /^(\s*CREATE\s+DATABASE\s+(?:IF\s+NOT\s+EXISTS\s+)?)`([^`]+)`/i;
const USE_DATABASE = /^(\s*USE\s+)`([^`]+)`/i;

/**
 * Prepares a mysqldump-style file (statements one per line group, databases chosen with `USE`): drops every account
 * statement line and, with a prefix, renames each `CREATE DATABASE`/`USE` target so tests can load a private copy.
 */
export function prepareSqlDump(dump: string, opts: { databasePrefix?: string } = {}): PreparedSqlDump {
  const prefix = opts.databasePrefix ?? '';
  if (prefix !== '' && !isValidMysqlDatabaseName(prefix)) throw new Error(`invalid database prefix ${prefix}`);
  const databases: string[] = [];
  const lines = dump.split('\n').flatMap((line) => {
    if (ACCOUNT_STATEMENT.test(line)) return [];
    const created = CREATE_DATABASE.exec(line);
    if (created) {
      const name = `${prefix}${created[2] ?? ''}`;
      if (!isValidMysqlDatabaseName(name)) throw new Error(`dump creates a database with an unsupported name: ${name}`);
      databases.push(name);
      return [line.replace(CREATE_DATABASE, `$1\`${name}\``)];
    }
    if (USE_DATABASE.test(line)) return [line.replace(USE_DATABASE, (_m, head: string, db: string) => `${head}\`${prefix}${db}\``)];
    return [line];
  });
  return { sql: lines.join('\n'), databases };
}
