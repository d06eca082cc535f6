import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from '@lemur/shared-config';

const execFileAsync = promisify(execFile);

/** A MySQL/MariaDB server for one test process, with root access. */
export interface TestMysql {
  /** Admin URL, e.g. mysql://root@127.0.0.1:3306. */
  url: string;
  /** True when this process started its own mariadbd (no server answered). */
  private: boolean;
  /** A database name no other test file uses: `lemur_t_<prefix>_<random>`. */
  uniqueName(prefix: string): string;
}

const DEFAULT_URL = 'mysql://root@127.0.0.1:3306';
const SERVER_BINARIES = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const INSTALL_DB_BINARIES = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];

let serverPromise: Promise<TestMysql> | undefined;

async function answers(url: string): Promise<boolean> {
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

/** Starts mariadbd on a free loopback port in a fresh temporary data directory; it dies with this process. */
async function startPrivateServer(serverArgs: readonly string[] = []): Promise<string> {
  const server = SERVER_BINARIES.find((b) => existsSync(b));
  const installDb = INSTALL_DB_BINARIES.find((b) => existsSync(b));
  if (!server || !installDb) {
    throw new Error('no MySQL/MariaDB server at 127.0.0.1:3306 and no mariadbd installed: run `bash scripts/setup-mariadb.sh`');
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'lemur-test-mariadb-'));
  // mariadbd refuses to run as root: as root, hand the data directory to the packaged mysql user.
  const owner = process.getuid?.() === 0 ? uidGidOf('mysql') : null;
  const userArgs = owner ? ['--user=mysql'] : [];
  if (owner) chownSync(dataDir, owner.uid, owner.gid);
  await execFileAsync(installDb, ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...userArgs]);
  const port = await freePort();
  // A watchdog shell owns mariadbd: vitest may end a worker without an 'exit' event, and mariadbd (which changes its
  // uid) cannot keep a parent-death signal, so the shell polls this process and kills the server once it is gone.
  const watchdog = [
    '"$@" & server=$!',
    "trap 'kill -9 $server 2>/dev/null; rm -rf \"$DATA_DIR\"; exit 0' TERM INT",
    'while kill -0 "$PARENT_PID" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done',
    'kill -9 "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$DATA_DIR"',
  ].join('\n');
  const child: ChildProcess = spawn(
    '/bin/sh',
    [
      '-c',
      watchdog,
      'test-mysql-watchdog',
      server,
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dataDir, 'mysqld.sock')}`,
      `--pid-file=${join(dataDir, 'mysqld.pid')}`,
      `--log-error=${join(dataDir, 'error.log')}`,
      ...userArgs,
      ...serverArgs,
    ],
    { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', PARENT_PID: String(process.pid), DATA_DIR: dataDir } },
  );
  process.once('exit', () => child.kill('SIGTERM'));
  const url = `mysql://root@127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited during start-up; see ${join(dataDir, 'error.log')}`);
    if (await answers(url)) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`mariadbd did not answer on port ${port} within 30 s; see ${join(dataDir, 'error.log')}`);
}

async function resolveServer(forcePrivate: boolean, serverArgs: readonly string[] = []): Promise<TestMysql> {
  const configured = process.env['TEST_MYSQL_URL'];
  let url: string;
  let isPrivate = false;
  if (!forcePrivate && configured) {
    if (!(await answers(configured))) throw new Error(`TEST_MYSQL_URL does not answer (${configured}): start that server or unset the variable`);
    url = configured;
  } else if (!forcePrivate && (await answers(DEFAULT_URL))) {
    url = DEFAULT_URL;
  } else {
    url = await startPrivateServer(serverArgs);
    isPrivate = true;
  }
  return {
    url,
    private: isPrivate,
    uniqueName: (prefix) => `lemur_t_${prefix}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
  };
}

/**
 * A MySQL/MariaDB server for tests: TEST_MYSQL_URL, else the one at 127.0.0.1:3306 (root, no password), else a private
 * mariadbd started for this test process. Tests share the server, so each must use its own database names.
 * `serverArgs` (e.g. `--lower-case-table-names=1`, which InterCode-SQL's server runs with) always start a private one.
 */
export function createTestMysql(opts: { forcePrivate?: boolean; serverArgs?: readonly string[] } = {}): Promise<TestMysql> {
  if (opts.serverArgs?.length) return resolveServer(true, opts.serverArgs);
  if (opts.forcePrivate) return resolveServer(true);
  serverPromise ??= resolveServer(false).catch((err: unknown) => {
    serverPromise = undefined;
    throw err;
  });
  return serverPromise;
}
