import { describe, expect, it } from 'vitest';
import { parseIntercodeBashAction, parseIntercodeSqlAction, postProcessLemurReply } from './intercode-parsers';

describe('sql_parser (OpenLemur/intercode)', () => {
  it.each([
    ['a fenced query, flattened and cut at ";"', '```sql\nSELECT name\nFROM  singer;\n```', 'SELECT name FROM singer', true],
    ['an upper-case fence tag', '```SQL\nSHOW TABLES\n```', 'SHOW TABLES', true],
    ['a bare fence', 'Try this:\n```\nDESC singer\n```', 'DESC singer', true],
    ['prose around an unfenced query: taken from SELECT to ";"', 'I will run SELECT count(*) FROM singer; to count.', 'SELECT count(*) FROM singer', true],
    ['SHOW is looked for before SELECT', 'SELECT a FROM t WHERE b = "SHOW"', 'SHOW"', true],
    ['"SQL: " keeps one character (upstream indexes instead of slicing)', 'SQL: SELECT 1', 'S', true],
    ['a fenced statement that is not a query', '```sql\nDROP TABLE singer\n```', 'DROP TABLE singer', false],
    ['an empty fence', '```sql\n   \n```', 'NO ACTION', false],
    ['no code at all', 'I am not sure what to do.', 'I am not sure what to do.', false],
    ['lower-case keywords are code only inside a fence', '```sql\nselect 1\n```', 'select 1', true],
    ['escaped underscores from markdown-happy models', '```sql\nSELECT first\\_name FROM t\n```', 'SELECT first_name FROM t', true],
  ])('%s', (_name, reply, action, isCode) => {
    expect(parseIntercodeSqlAction(reply)).toEqual({ kind: 'action', action, isCode });
  });
});

describe('bash_parser (OpenLemur/intercode)', () => {
  it.each([
    ['a plain command is taken as written', 'find /testbed -name "*.TXT"', 'find /testbed -name "*.TXT"'],
    ['a fenced command is lower-cased and flattened', '```bash\nls -R\n  /testbed\n```', 'ls -r /testbed'],
    ['"bash: " prefix', 'bash: ls -la', 'ls -la'],
    ['text after "command:"', 'The command: ls /tmp', ' ls /tmp'],
    ['newlines become spaces', 'cd /testbed\nls', 'cd /testbed ls'],
  ])('%s', (_name, reply, action) => {
    expect(parseIntercodeBashAction(reply)).toEqual({ kind: 'action', action, isCode: true });
  });

  it('is blocked when only "Command:" is there (upstream raised ValueError and ended the episode)', () => {
    expect(parseIntercodeBashAction('Command: ls')).toEqual({ kind: 'blocked', error: 'substring not found' });
  });

  it('cuts a Lemur reply at <|im_end|>', () => {
    expect(postProcessLemurReply('  ```sql\nSHOW TABLES\n```\n<|im_end|>\nmore')).toBe('```sql\nSHOW TABLES\n```');
  });
});
