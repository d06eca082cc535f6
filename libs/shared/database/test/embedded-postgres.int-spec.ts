import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/index';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const dataDir = join(tmpdir(), `lemur-embedded-pg-spec-${randomBytes(4).toString('hex')}`);

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('startEmbeddedPostgres', () => {
  it('starts a real server that answers, finds it again while running, and reuses its data folder', async () => {
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir, port });
    try {
      expect(first.reused).toBe(false);
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      await client.query('CREATE TABLE kept (id int)');
      await client.end();
      expect(Number(rows[0]?.v)).toBeGreaterThanOrEqual(150000);

      const again = await startEmbeddedPostgres({ dataDir, port });
      expect(again.reused).toBe(true);
      await again.stop();
    } finally {
      await first.stop();
    }

    const restarted = await startEmbeddedPostgres({ dataDir, port });
    try {
      expect(restarted.reused).toBe(false);
      const client = new pg.Client({ connectionString: restarted.url });
      await client.connect();
      const { rows } = await client.query("SELECT to_regclass('kept') IS NOT NULL AS kept");
      await client.end();
      expect(rows).toEqual([{ kept: true }]);
    } finally {
      await restarted.stop();
    }
  });
});
