import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { createTestMysql } from './test-mysql';

describe('createTestMysql', () => {
  it('starts a private mariadbd when asked (as on a machine with no server), with root access', async () => {
    const server = await createTestMysql({ forcePrivate: true });
    expect(server.private).toBe(true);
    expect(server.url).not.toContain(':3306');
    const conn = await mysql.createConnection({ uri: server.url });
    try {
      const name = server.uniqueName('helper');
      expect(name).toMatch(/^lemur_t_helper_[0-9a-z]+$/);
      await conn.query(`CREATE DATABASE \`${name}\``);
      const [rows] = (await conn.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])) as unknown as [
        { name: string }[],
      ];
      expect(rows).toEqual([{ name }]);
    } finally {
      await conn.end();
    }
  }, 60_000);

  it('gives every caller distinct database names', async () => {
    const server = await createTestMysql();
    expect(server.uniqueName('x')).not.toBe(server.uniqueName('x'));
  });
});
