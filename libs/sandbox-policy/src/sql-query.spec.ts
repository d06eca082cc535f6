import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SQL_MAX_ROWS,
  formatSqlResult,
  normalizeSqlStatement,
  parseSqlResult,
  prepareSqlDump,
  renderSqlTable,
  resolveSqlMaxRows,
} from './sql-query';

describe('SQL result format', () => {
  it('round-trips through the one-line JSON stdout', () => {
    const result = { columns: ['id', 'name'], rows: [[1, 'a'], [2, null]], truncated: true };
    const stdout = formatSqlResult(result);
    expect(stdout.endsWith('\n')).toBe(true);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(parseSqlResult(stdout)).toEqual(result);
  });

  it('refuses output that is not a result set', () => {
    for (const bad of ['', 'hello', '{"columns":["a"],"rows":[[{}]],"truncated":false}', '{"columns":[],"rows":[]}', '[1]']) {
      expect(parseSqlResult(bad)).toBeNull();
    }
  });

  it('renders a table for people', () => {
    expect(renderSqlTable({ columns: ['id', 'name'], rows: [[1, 'alpha'], [22, null]], truncated: false })).toBe(
      ['id | name', '---+------', '1  | alpha', '22 | NULL', '(2 rows)'].join('\n'),
    );
    expect(renderSqlTable({ columns: ['n'], rows: [[1]], truncated: true })).toContain('(1 row, truncated at the row limit)');
  });
});

describe('SQL request checks', () => {
  it('resolves the row limit', () => {
    expect(resolveSqlMaxRows(0)).toBe(DEFAULT_SQL_MAX_ROWS);
    expect(resolveSqlMaxRows(5)).toBe(5);
    expect(resolveSqlMaxRows(10_000_000)).toEqual({ error: 'must be at most 100000' });
  });

  it('strips trailing semicolons and whitespace', () => {
    expect(normalizeSqlStatement('  SELECT 1;  ;\n')).toBe('SELECT 1');
    expect(normalizeSqlStatement("SELECT ';'")).toBe("SELECT ';'");
  });
});

describe('prepareSqlDump', () => {
  const dump = [
    "CREATE USER 'admin'@'%' IDENTIFIED BY 'admin'; ",
    "GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%'; ",
    'FLUSH PRIVILEGES;',
    'CREATE DATABASE  IF NOT EXISTS `museum_visit` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;',
    'USE `museum_visit`;',
    'INSERT INTO `museum` VALUES (1,\'GRANT wing\');',
  ].join('\n');

  it('drops account statements and keeps data', () => {
    const { sql, databases } = prepareSqlDump(dump);
    expect(sql).not.toMatch(/CREATE USER|GRANT ALL|FLUSH PRIVILEGES/);
    expect(sql).toContain("INSERT INTO `museum` VALUES (1,'GRANT wing');");
    expect(databases).toEqual(['museum_visit']);
  });

  it('renames databases with a prefix', () => {
    const { sql, databases } = prepareSqlDump(dump, { databasePrefix: 't1_' });
    expect(databases).toEqual(['t1_museum_visit']);
    expect(sql).toContain('CREATE DATABASE  IF NOT EXISTS `t1_museum_visit` /*!40100');
    expect(sql).toContain('USE `t1_museum_visit`;');
    expect(() => prepareSqlDump(dump, { databasePrefix: 'x`; DROP' })).toThrow('invalid database prefix');
  });
});
