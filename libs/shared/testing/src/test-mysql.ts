import { randomBytes } from 'node:crypto';
import { findMariadbBinaries, mysqlAnswers, startEmbeddedMariadb } from '@lemur/shared-database';

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

let serverPromise: Promise<TestMysql> | undefined;

/** Starts mariadbd on a free loopback port in a fresh temporary data directory; it dies with this process. */
async function startPrivateServer(serverArgs: readonly string[] = []): Promise<string> {
  if (!findMariadbBinaries()) {
    throw new Error('no MySQL/MariaDB server at 127.0.0.1:3306 and no mariadbd installed: run `bash scripts/setup-mariadb.sh`');
  }
  return (await startEmbeddedMariadb({ serverArgs, dataDirPrefix: 'lemur-test-mariadb' })).url;
}

async function resolveServer(forcePrivate: boolean, serverArgs: readonly string[] = []): Promise<TestMysql> {
  const configured = process.env['TEST_MYSQL_URL'];
  let url: string;
  let isPrivate = false;
  if (!forcePrivate && configured) {
    if (!(await mysqlAnswers(configured))) throw new Error(`TEST_MYSQL_URL does not answer (${configured}): start that server or unset the variable`);
    url = configured;
  } else if (!forcePrivate && (await mysqlAnswers(DEFAULT_URL))) {
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
