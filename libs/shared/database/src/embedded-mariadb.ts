import { execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from '@lemur/shared-config';

const execFileAsync = promisify(execFile);

const SERVER_BINARIES = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const INSTALL_DB_BINARIES = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];

/** Options for {@link startEmbeddedMariadb}. */
export interface EmbeddedMariadbOptions {
  /** Extra server flags, e.g. `--lower-case-table-names=1` (InterCode-SQL's setting). */
  serverArgs?: readonly string[];
  /** Prefix of the temporary data folder's name, so a leftover says who made it. */
  dataDirPrefix?: string;
}

/** A private MariaDB server on a free loopback port, in a temporary data folder removed when it stops. */
export interface EmbeddedMariadbHandle {
  /** Admin URL: mysql://root@127.0.0.1:PORT. */
  url: string;
  dataDir: string;
  /** Stops the server and removes its data folder. */
  stop(): Promise<void>;
}

/** The installed MariaDB/MySQL server and its install-db tool (Debian's `mariadb-server`), or null when either is missing. */
export function findMariadbBinaries(): { server: string; installDb: string } | null {
  const server = SERVER_BINARIES.find((b) => existsSync(b));
  const installDb = INSTALL_DB_BINARIES.find((b) => existsSync(b));
  return server && installDb ? { server, installDb } : null;
}

/** True when a MySQL/MariaDB server at `url` runs a query. */
export async function mysqlAnswers(url: string): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 2_000 });
    await conn.query('SELECT 1');
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

function uidGidOf(user: string): { uid: number; gid: number } | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/** Starts mariadbd on a free loopback port in a fresh temporary data folder; it also dies when this process does. */
export async function startEmbeddedMariadb(options: EmbeddedMariadbOptions = {}): Promise<EmbeddedMariadbHandle> {
  const binaries = findMariadbBinaries();
  if (!binaries) throw new Error('no mariadbd/mysqld installed: install Debian `mariadb-server` (`bash scripts/setup-mariadb.sh`)');
  const dataDir = mkdtempSync(join(tmpdir(), `${options.dataDirPrefix ?? 'lemur-mariadb'}-`));
  // mariadbd refuses to run as root: as root, hand the data directory to the packaged mysql user.
  const owner = process.getuid?.() === 0 ? uidGidOf('mysql') : null;
  const userArgs = owner ? ['--user=mysql'] : [];
  if (owner) chownSync(dataDir, owner.uid, owner.gid);
  await execFileAsync(binaries.installDb, [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...userArgs,
  ]);
  const port = await freePort();
  // A watchdog shell owns mariadbd: a parent may end without an 'exit' event (a vitest worker, a SIGKILL), and mariadbd
  // (which changes its uid) cannot keep a parent-death signal, so the shell polls this process and kills the server once it is gone.
  const watchdog = [
    '"$@" & server=$!',
    "trap 'kill -9 $server 2>/dev/null; wait $server 2>/dev/null; rm -rf \"$DATA_DIR\"; exit 0' TERM INT",
    'while kill -0 "$PARENT_PID" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done',
    'kill -9 "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$DATA_DIR"',
  ].join('\n');
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      watchdog,
      'lemur-mariadb-watchdog',
      binaries.server,
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dataDir, 'mysqld.sock')}`,
      `--pid-file=${join(dataDir, 'mysqld.pid')}`,
      `--log-error=${join(dataDir, 'error.log')}`,
      ...userArgs,
      ...(options.serverArgs ?? []),
    ],
    { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', PARENT_PID: String(process.pid), DATA_DIR: dataDir } },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const url = `mysql://root@127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited during start-up; see ${join(dataDir, 'error.log')}`);
    if (await mysqlAnswers(url)) return { url, dataDir, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`mariadbd did not answer on port ${port} within 30 s`);
}
