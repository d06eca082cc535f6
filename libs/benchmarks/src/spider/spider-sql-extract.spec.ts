import { describe, expect, it } from 'vitest';
import { extractSpiderSql } from './spider-sql-extract';

describe('extractSpiderSql', () => {
  it.each([
    ['a bare query cut by the ";" stop sequence', 'SELECT count(*) FROM singer', 'SELECT count(*) FROM singer'],
    ['a trailing semicolon and newline', 'SELECT count(*) FROM singer;\n', 'SELECT count(*) FROM singer'],
    ['a leading space from a completion prompt', ' SELECT name FROM singer', 'SELECT name FROM singer'],
    ['a multi-line query keeps its lines', 'SELECT name\nFROM singer\nWHERE age > 20', 'SELECT name\nFROM singer\nWHERE age > 20'],
    ['a fenced block with a tag', 'Here is the query:\n```sql\nSELECT name FROM singer;\n```\nIt lists the names.', 'SELECT name FROM singer'],
    ['an upper-case fence tag', '```SQL\nSELECT 1\n```', 'SELECT 1'],
    ['a bare fence', '```\nSELECT 1\n```', 'SELECT 1'],
    ['a fence the stop sequence cut before it closed', '```sql\nSELECT name FROM singer WHERE age > 30', 'SELECT name FROM singer WHERE age > 30'],
    ['the first of two fenced blocks', '```sql\nSELECT a FROM t\n```\nor\n```sql\nSELECT b FROM t\n```', 'SELECT a FROM t'],
    ['a blank line ends an unfenced query before the explanation', 'SELECT name FROM singer\n\nThis query selects every name.', 'SELECT name FROM singer'],
    ['prose before an unfenced query', 'The answer is SELECT max(age) FROM singer', 'SELECT max(age) FROM singer'],
    ['a ";" inside a string literal does not end the statement', "SELECT * FROM t WHERE name = 'a;b'; SELECT 2", "SELECT * FROM t WHERE name = 'a;b'"],
    ['a ";" inside a double-quoted literal does not either', 'SELECT * FROM t WHERE name = "x;y";', 'SELECT * FROM t WHERE name = "x;y"'],
    ['a WITH query', 'WITH x AS (SELECT 1) SELECT * FROM x', 'WITH x AS (SELECT 1) SELECT * FROM x'],
    ['a lower-case query on its own line', 'Query:\nselect name from singer', 'select name from singer'],
    ['"select" inside prose is not a query start', 'We select the names.\nSELECT name FROM singer', 'SELECT name FROM singer'],
    ['a Lemur reply cut at <|im_end|>', '```sql\nSELECT 1\n```<|im_end|>\nSELECT 2', 'SELECT 1'],
    ['a sub-query stays inside the outer query', 'SELECT name FROM t WHERE id IN (SELECT id FROM u)', 'SELECT name FROM t WHERE id IN (SELECT id FROM u)'],
  ])('%s', (_name, completion, sql) => {
    expect(extractSpiderSql(completion)).toBe(sql);
  });

  it.each([
    ['no query at all', 'I do not know.'],
    ['an empty reply', ''],
    ['"select" only inside a sentence', 'You should select the oldest singer.'],
    ['an empty fence', '```sql\n\n```'],
    ['a fence that holds no query', '```sql\nDROP TABLE singer\n```'],
  ])('gives nothing for %s', (_name, completion) => {
    expect(extractSpiderSql(completion)).toBeUndefined();
  });
});
