import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../src/index';

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  it('gives each caller its own migrated database and drops it', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(a.url).not.toBe(b.url);
    expect(await tables(a.url)).toEqual(expect.arrayContaining(['_prisma_migrations', 'run', 'run_summary_v', 'sample', 'team']));
    await Promise.all([a.drop(), b.drop()]);
    await expect(tables(a.url)).rejects.toThrow(/does not exist/);
  });

  it('can leave the database empty for tests of migrating itself', async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      expect(await tables(db.url)).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});
