import { randomBytes } from 'node:crypto';
import { freePort } from '@lemur/shared-config';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyMigrations,
  dropDatabase,
  ensureDatabase,
  startEmbeddedPostgres,
  withDatabaseName,
} from '@lemur/shared-database';
import pg from 'pg';

/** A throwaway database with the Lemur schema applied. */
export interface TestDatabase {
  /** Connection URL of this test file's own database. */
  url: string;
  /** Drops the database (call it in afterAll). */
  drop(): Promise<void>;
}

/** Options for {@link createTestDatabase}. */
export interface TestDatabaseOptions {
  /** Apply prisma/migrations (default true); false gives an empty database, e.g. to test migrating itself. */
  migrate?: boolean;
}

const DEFAULT_SERVER_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

let serverUrlPromise: Promise<string> | undefined;

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function resolveServerUrl(): Promise<string> {
  const configured = process.env['TEST_DATABASE_URL'];
  if (configured !== undefined && configured !== '') {
    if (!(await answers(configured))) {
      throw new Error(`TEST_DATABASE_URL does not answer (${configured}): start that server or unset the variable`);
    }
    return configured;
  }
  if (await answers(DEFAULT_SERVER_URL)) return DEFAULT_SERVER_URL;
  // No server here: one embedded PostgreSQL per test process, deleted when it stops at process exit.
  const port = await freePort();
  const server = await startEmbeddedPostgres({
    dataDir: join(tmpdir(), `lemur-test-pg-${process.pid}-${randomBytes(4).toString('hex')}`),
    port,
    ephemeral: true,
  });
  process.once('beforeExit', () => void server.stop());
  return server.url;
}

/** Server URL tests create their databases on: TEST_DATABASE_URL, else 127.0.0.1:5432, else an embedded server. */
export function testServerUrl(): Promise<string> {
  serverUrlPromise ??= resolveServerUrl().catch((err: unknown) => {
    serverUrlPromise = undefined;
    throw err;
  });
  return serverUrlPromise;
}

/** Creates a uniquely named database for one test file, migrated to the current schema. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = await testServerUrl();
  const name = `lemur_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = withDatabaseName(serverUrl, name);
  await ensureDatabase(url);
  try {
    if (options.migrate ?? true) await applyMigrations(url);
  } catch (err) {
    await dropDatabase(url);
    throw err;
  }
  return { url, drop: () => dropDatabase(url) };
}
