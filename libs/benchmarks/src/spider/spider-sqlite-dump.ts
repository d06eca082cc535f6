import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { sha256Hex } from '../hash';

/** A cell of the dump's INSERT rows: a quoted string, a number, or NULL. */
export type DumpCell = string | number | null;

/** One Spider database rebuilt for SQLite: its CREATE TABLE statements and each table's rows, in dump order. */
export interface SpiderSqliteDatabase {
  name: string;
  /** SQLite `CREATE TABLE` statements; also the schema the prompt shows. */
  creates: string[];
  tables: { name: string; columns: number; rows: DumpCell[][] }[];
}

const cache = new Map<string, ReadonlyMap<string, SpiderSqliteDatabase>>();

/**
 * The Spider databases of InterCode's MySQL dump (ic_spider_dbs.sql) as SQLite schemas and rows, converted once per
 * dump (keyed by its sha256) and deterministically: column types are kept as declared (SQLite derives the same
 * affinities from `int`, `text`, `varchar(255)`, `double`, `decimal(19,4)` as Spider's own SQLite files), MySQL-only
 * clauses (COLLATE, AUTO_INCREMENT, ENGINE, index KEYs) are dropped, keys and foreign keys kept.
 */
export function spiderSqliteDatabases(dump: Buffer | string): ReadonlyMap<string, SpiderSqliteDatabase> {
  const text = typeof dump === 'string' ? dump : dump.toString('utf8');
  const key = sha256Hex(text);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const converted = convertDump(text);
  cache.set(key, converted);
  return converted;
}

function invalid(message: string, line: number): BenchmarkException {
  return new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `ic_spider_dbs.sql line ${line}: ${message}`, { line });
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const identList = (list: string): string =>
  list
    .split(',')
    // MySQL index prefix lengths (`Year_awarded`(255)) have no SQLite equivalent: the whole column is the key.
    .map((c) => quoteIdent(c.trim().replace(/\(\d+\)$/, '').replace(/^`|`$/g, '')))
    .join(', ');

function convertDump(text: string): Map<string, SpiderSqliteDatabase> {
  const databases = new Map<string, SpiderSqliteDatabase>();
  const lines = text.split('\n');
  let current: SpiderSqliteDatabase | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const use = /^USE `([^`]+)`;/.exec(line);
    if (use) {
      const name = use[1]!;
      current = databases.get(name) ?? { name, creates: [], tables: [] };
      databases.set(name, current);
      continue;
    }
    const create = /^CREATE TABLE `([^`]+)` \($/.exec(line);
    if (create) {
      if (current === undefined) throw invalid('CREATE TABLE before any USE', i + 1);
      const body: string[] = [];
      let columns = 0;
      for (i += 1; i < lines.length && !lines[i]!.startsWith(')'); i += 1) {
        const def = convertDefinition(lines[i]!.trim().replace(/,$/, ''), i + 1);
        if (def === null) continue;
        if (def.column) columns += 1;
        body.push(def.sql);
      }
      current.creates.push(`CREATE TABLE ${quoteIdent(create[1]!)} (\n  ${body.join(',\n  ')}\n)`);
      current.tables.push({ name: create[1]!, columns, rows: [] });
      continue;
    }
    const insert = /^INSERT INTO `([^`]+)` VALUES (.*);$/.exec(line);
    if (insert) {
      const table = current?.tables.find((t) => t.name === insert[1]);
      if (table === undefined) throw invalid(`INSERT into ${insert[1]} before its CREATE TABLE`, i + 1);
      for (const row of parseValues(insert[2]!, i + 1)) {
        if (row.length !== table.columns) throw invalid(`a row of ${table.name} has ${row.length} values for ${table.columns} columns`, i + 1);
        table.rows.push(row);
      }
    }
  }
  if (databases.size === 0) throw invalid('no `USE <database>` statement found', 1);
  return databases;
}

/** One line of a MySQL CREATE TABLE body as SQLite accepts it; null for index-only KEY lines. */
function convertDefinition(def: string, line: number): { sql: string; column: boolean } | null {
  const column = /^`([^`]+)` (.+)$/.exec(def);
  if (column) {
    const rest = column[2]!
      .replace(/ COLLATE \w+/g, '')
      .replace(/ CHARACTER SET \w+/g, '')
      .replace(/ AUTO_INCREMENT/g, '')
      .replace(/ unsigned/g, '');
    return { sql: `${quoteIdent(column[1]!)} ${rest}`, column: true };
  }
  const pk = /^PRIMARY KEY \((.+)\)$/.exec(def);
  if (pk) return { sql: `PRIMARY KEY (${identList(pk[1]!)})`, column: false };
  const unique = /^UNIQUE KEY `[^`]+` \((.+)\)$/.exec(def);
  if (unique) return { sql: `UNIQUE (${identList(unique[1]!)})`, column: false };
  if (/^KEY `[^`]+` \(.+\)$/.test(def)) return null;
  const fk = /^CONSTRAINT `[^`]+` FOREIGN KEY \((.+)\) REFERENCES `([^`]+)` \((.+)\)$/.exec(def);
  if (fk) return { sql: `FOREIGN KEY (${identList(fk[1]!)}) REFERENCES ${quoteIdent(fk[2]!)} (${identList(fk[3]!)})`, column: false };
  throw invalid(`unrecognised table definition: ${def}`, line);
}

const MYSQL_ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

/** The tuples of a mysqldump `VALUES (..),(..)` list: quoted strings with backslash escapes, numbers, NULL. */
export function parseValues(text: string, line: number): DumpCell[][] {
  const rows: DumpCell[][] = [];
  let i = 0;
  const expect = (ch: string): void => {
    if (text[i] !== ch) throw invalid(`expected "${ch}" at column ${i + 1}`, line);
    i += 1;
  };
  for (;;) {
    expect('(');
    const row: DumpCell[] = [];
    for (;;) {
      if (text[i] === "'") {
        i += 1;
        let s = '';
        for (;;) {
          const ch = text[i];
          if (ch === undefined) throw invalid('unterminated string', line);
          i += 1;
          if (ch === '\\') {
            const next = text[i]!;
            i += 1;
            s += MYSQL_ESCAPES[next] ?? next;
          } else if (ch === "'") {
            if (text[i] !== "'") break;
            s += "'";
            i += 1;
          } else s += ch;
        }
        row.push(s);
      } else {
        const m = /^(NULL|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)(?=[,)])/.exec(text.slice(i, i + 64));
        if (!m) throw invalid(`unreadable value at column ${i + 1}: ${text.slice(i, i + 20)}`, line);
        i += m[1]!.length;
        row.push(m[1] === 'NULL' ? null : numberCell(m[1]!, line));
      }
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      expect(')');
      break;
    }
    rows.push(row);
    if (i === text.length) return rows;
    expect(',');
  }
}

// The Spider dump has no integer beyond 2^53; one would be rounded on its way through JSON, so it is refused.
function numberCell(literal: string, line: number): number {
  const n = Number(literal);
  if (/^-?[0-9]+$/.test(literal) && !Number.isSafeInteger(n)) throw invalid(`integer ${literal} is beyond 2^53`, line);
  return n;
}
