import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import pg from 'pg';
import { GatewayClient } from '../src/api/gateway-client';
import { loadCliEnvironment, type CliEnvironment } from '../src/config/cli.config';
import { LocalPlatform, type LocalPlatformOptions } from '../src/local/local-platform';

const execFileAsync = promisify(execFile);
const repoRoot = resolve(__dirname, '../../..');

/** What one `lemur` command printed, and its exit status. */
export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** A whole local platform on its own test database and home directory, for one test file. */
export interface TestPlatform {
  db: TestDatabase;
  home: string;
  env: CliEnvironment;
  platform: LocalPlatform;
  /** The gateway's REST client with the bootstrapped admin key. */
  client: GatewayClient;
  /** A connection to the platform's database, for assertions on what is stored. */
  sql: pg.Client;
  /**
   * Runs `bin/lemur ARGS --server <gateway>` as a user would, with this platform's home, a config file in it and the
   * admin key (LEMUR_API_KEY); `env` adds or overrides variables. Never throws for a non-zero exit.
   */
  cli(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  /** Stops the platform, drops the database and removes the home directory (each step even if one before failed). */
  stop(): Promise<void>;
}

export interface TestPlatformOptions extends Partial<Omit<LocalPlatformOptions, 'env' | 'log'>> {
  /** Names the home directory (`lemur-<name>-…`), so a leftover says which file made it. */
  name: string;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /**
   * Keep the sandbox's warm one-shot pool (SANDBOX_EXEC_POOL_SIZE, 4 per language by default). Off unless asked:
   * most files do not test it, and pre-started sandboxes cost CPU every other test file on the machine shares.
   */
  warmPool?: boolean;
  /** A models file (the user's registry entries beside the simulator's), as `lemur --models FILE` gives. */
  modelsFile?: string;
}

/** Starts a platform for a test file: `beforeAll(async () => (t = await startTestPlatform({ name: 'x' })), 180_000)`. */
export async function startTestPlatform(opts: TestPlatformOptions): Promise<TestPlatform> {
  const { name, env: extra, warmPool, modelsFile, ...start } = opts;
  const db = await createTestDatabase();
  const home = mkdtempSync(join(tmpdir(), `lemur-${name}-`));
  const env: CliEnvironment = {
    ...loadCliEnvironment(),
    databaseUrl: db.url,
    home,
    ...(modelsFile ? { modelsFile } : {}),
    passthrough: { ...process.env, LOG_LEVEL: 'info', ...(warmPool ? {} : { SANDBOX_EXEC_POOL_SIZE: '0' }), ...extra },
  };
  let platform: LocalPlatform | undefined;
  const sql = new pg.Client({ connectionString: db.url });
  const stop = async () => {
    await sql.end().catch(() => undefined);
    await platform?.stop().catch(() => undefined);
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  };
  try {
    platform = await LocalPlatform.start({ gatewayPort: 0, workers: 1, ...start, env, log: () => undefined });
    await sql.connect();
    const { gatewayUrl, apiKey } = platform;
    const cli = async (args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> => {
      try {
        const { stdout, stderr } = await execFileAsync(join(repoRoot, 'bin/lemur'), [...args, '--server', gatewayUrl], {
          cwd: repoRoot,
          env: { ...process.env, LEMUR_HOME: home, LEMUR_CONFIG: join(home, 'config.json'), LEMUR_API_KEY: apiKey, ...extraEnv },
          // A whole suite's `--json` can pass execFile's 1 MiB default.
          maxBuffer: 16 * 1024 * 1024,
        });
        return { stdout, stderr, code: 0 };
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; code?: number };
        return { stdout: e.stdout ?? '', stderr: e.stderr ?? String(err), code: typeof e.code === 'number' ? e.code : -1 };
      }
    };
    return { db, home, env, platform, client: new GatewayClient(gatewayUrl, apiKey), sql, cli, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
