import { randomBytes } from 'node:crypto';
import { createLogger } from '@lemur/shared-logging';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationListener } from '../src/index';

// A real PostgreSQL: NOTIFY delivered at commit, and the listener's own connection killed by the server.
const url = process.env['TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const channel = `lemur_test_${randomBytes(4).toString('hex')}`;
let sql: pg.Client;

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
});

describe('NotificationListener', () => {
  it('delivers payloads at commit only, and listens again after the server ends its connection, reporting the gap', async () => {
    const got: string[] = [];
    let gaps = 0;
    const listener = new NotificationListener({ url, channel, onNotify: (p) => got.push(p), onGap: () => gaps++, logger: createLogger('test', 'silent') });
    await listener.start();
    try {
      expect(listener.listening).toBe(true);
      await sql.query('SELECT pg_notify($1, $2)', [channel, 'first']);
      await until('the first notification', () => got.length === 1);

      // A rolled-back transaction notifies nobody; a committed one does, once it commits.
      await sql.query('BEGIN');
      await sql.query('SELECT pg_notify($1, $2)', [channel, 'rolled back']);
      await sql.query('ROLLBACK');
      await sql.query('BEGIN');
      await sql.query('SELECT pg_notify($1, $2)', [channel, 'committed']);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual(['first']);
      await sql.query('COMMIT');
      await until('the committed notification', () => got.length === 2);
      expect(got).toEqual(['first', 'committed']);
      expect(gaps).toBe(0);

      // The server ends the listener's connection (a restart, a failover, an admin): it reconnects, says there was a
      // gap (what was missed meanwhile must be dropped), and hears the next notification.
      const { rows } = await sql.query<{ ended: boolean }>(
        "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
        [`lemur-listen-${channel}`],
      );
      expect(rows.map((r) => r.ended)).toEqual([true]);
      await until('the reconnection', () => gaps === 1);
      expect(listener.listening).toBe(true);
      await sql.query('SELECT pg_notify($1, $2)', [channel, 'after']);
      await until('the notification after the reconnection', () => got.length === 3);
      expect(got[2]).toBe('after');
    } finally {
      await listener.close();
    }
    expect(listener.listening).toBe(false);
  });

  it('refuses a channel name that would need quoting', () => {
    expect(() => new NotificationListener({ url, channel: 'Bad; DROP', onNotify: () => undefined, onGap: () => undefined, logger: createLogger('test', 'silent') })).toThrow(
      /must be a lower-case identifier/,
    );
  });
});
