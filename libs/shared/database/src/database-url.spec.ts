import { describe, expect, it } from 'vitest';
import {
  databaseNameOf,
  quoteIdentifier,
  redactDatabaseUrl,
  toPgConnectionConfig,
  withDatabaseName,
} from './database-url';

describe('databaseNameOf', () => {
  it('reads the path as the database name', () => {
    expect(databaseNameOf('postgresql://postgres@127.0.0.1:5432/lemur?schema=public')).toBe('lemur');
  });

  it('defaults to postgres when no database is given', () => {
    expect(databaseNameOf('postgresql://postgres@127.0.0.1:5432')).toBe('postgres');
  });

  it('decodes escaped names', () => {
    expect(databaseNameOf('postgresql://h/my%20db')).toBe('my db');
  });
});

describe('withDatabaseName', () => {
  it('swaps the database and keeps credentials and parameters', () => {
    expect(withDatabaseName('postgresql://u:p@127.0.0.1:5432/lemur?sslmode=disable', 'postgres')).toBe(
      'postgresql://u:p@127.0.0.1:5432/postgres?sslmode=disable',
    );
  });
});

describe('quoteIdentifier', () => {
  it('doubles embedded quotes', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
  });

  it('rejects names PostgreSQL would truncate or refuse', () => {
    expect(() => quoteIdentifier('')).toThrow(/invalid PostgreSQL identifier/);
    expect(() => quoteIdentifier('x'.repeat(64))).toThrow(/invalid PostgreSQL identifier/);
  });
});

describe('redactDatabaseUrl', () => {
  it('hides the password only', () => {
    expect(redactDatabaseUrl('postgresql://u:secret@h:5432/db')).toBe('postgresql://u:***@h:5432/db');
    expect(redactDatabaseUrl('postgresql://u@h:5432/db')).toBe('postgresql://u@h:5432/db');
  });
});

describe('toPgConnectionConfig', () => {
  it('splits credentials, host, port and database', () => {
    expect(toPgConnectionConfig('postgresql://u%40x:p%2Fw@db.local:6543/lemur')).toEqual({
      database: 'lemur',
      host: 'db.local',
      password: 'p/w',
      port: 6543,
      user: 'u@x',
    });
  });

  it('defaults the port and maps sslmode', () => {
    expect(toPgConnectionConfig('postgresql://h/db?sslmode=require')).toEqual({
      database: 'db',
      host: 'h',
      port: 5432,
      ssl: { rejectUnauthorized: false },
    });
    expect(toPgConnectionConfig('postgresql://h/db?sslmode=verify-full').ssl).toEqual({ rejectUnauthorized: true });
    expect(toPgConnectionConfig('postgresql://h/db?sslmode=disable').ssl).toBeUndefined();
  });
});
