import { describe, expect, it } from 'vitest';
import { INTERCODE_SQL_DATASET } from '../intercode/intercode-tasks';
import { readSharedDataset } from '../testing/shared-datasets';
import { parseValues, spiderSqliteDatabases } from './spider-sqlite-dump';

const DUMP = INTERCODE_SQL_DATASET.files[1]!.file;

describe('the Spider MySQL dump as SQLite databases', () => {
  const dump = readSharedDataset({ dataset: INTERCODE_SQL_DATASET }).get(DUMP)!;
  const dbs = spiderSqliteDatabases(dump);

  it('holds the 20 databases and 81 tables the dump creates, with their rows', () => {
    expect(dbs.size).toBe(20);
    expect([...dbs.values()].reduce((n, db) => n + db.tables.length, 0)).toBe(81);
    const museum = dbs.get('museum_visit')!;
    expect(museum.tables.map((t) => [t.name, t.rows.length])).toEqual([
      ['museum', 8],
      ['visit', 6],
      ['visitor', 6],
    ]);
    expect(museum.tables[0]!.rows[0]).toEqual([1, 'Plaza Museum', 62, '2000']);
  });

  it('writes SQLite DDL: types kept, MySQL clauses and index keys dropped, keys and foreign keys kept', () => {
    const visit = dbs.get('museum_visit')!.creates[1]!;
    expect(visit).toBe(
      [
        'CREATE TABLE "visit" (',
        '  "Museum_ID" int NOT NULL,',
        '  "visitor_ID" int NOT NULL,',
        '  "Num_of_Ticket" int DEFAULT NULL,',
        '  "Total_spent" double DEFAULT NULL,',
        '  PRIMARY KEY ("Museum_ID", "visitor_ID"),',
        '  FOREIGN KEY ("visitor_ID") REFERENCES "visitor" ("ID"),',
        '  FOREIGN KEY ("Museum_ID") REFERENCES "museum" ("Museum_ID")',
        ')',
      ].join('\n'),
    );
    const all = [...dbs.values()].flatMap((db) => db.creates).join('\n');
    expect(all).not.toMatch(/COLLATE|AUTO_INCREMENT|ENGINE|`|\bKEY `/);
    // MySQL's key prefix length (`Year_awarded`(255)) is dropped: SQLite keys whole columns.
    expect(all).toContain('PRIMARY KEY ("Employee_ID", "Year_awarded")');
  });

  it('is converted once per dump: the same bytes give the same object', () => {
    expect(spiderSqliteDatabases(Buffer.from(dump))).toBe(dbs);
  });

  it('reads mysqldump value lists: escapes, doubled quotes, NULL, negative and decimal numbers', () => {
    expect(parseValues(String.raw`(1,'It\'s','a\\b','two\nlines',NULL,-2.5,1e3),(2,'x''y','\0\Z\t\"',0,3,-7,0.125)`, 1)).toEqual([
      [1, "It's", 'a\\b', 'two\nlines', null, -2.5, 1000],
      [2, "x'y", '\0\x1a\t"', 0, 3, -7, 0.125],
    ]);
  });

  it('refuses what it cannot read, naming the line', () => {
    expect(() => parseValues("(1,'open", 7)).toThrow(/line 7: unterminated string/);
    expect(() => parseValues('(0x1F)', 3)).toThrow(/line 3: unreadable value/);
    expect(() => parseValues('(12345678901234567890)', 4)).toThrow(/beyond 2\^53/);
    expect(() => spiderSqliteDatabases('CREATE TABLE `t` (\n  `a` int\n) ENGINE=InnoDB;\n')).toThrow(/CREATE TABLE before any USE/);
  });
});
