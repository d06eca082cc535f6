import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { prepareSqlDump } from '@lemur/sandbox-policy';
import type { Logger } from '@lemur/shared-logging';
import mysql from 'mysql2/promise';

/** Database holding the loader's marker table; never granted to a run. */
export const MYSQL_META_DATABASE = 'lemur_sandbox_meta';
const LOCK_NAME = 'lemur_sandbox_dump_load';
const LOCK_WAIT_SECONDS = 300;

/** Where InterCode-SQL's MySQL dump of the 20 Spider databases sits beside the checkout (shared/datasets). */
export const SPIDER_DUMP_SUBPATH = join('shared', 'datasets', 'intercode', 'sql', 'spider', 'ic_spider_dbs.sql');

/** Finds the Spider dump in a parent of `start`, or null. */
export function findSpiderDump(start: string = process.cwd()): string | null {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, SPIDER_DUMP_SUBPATH);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** What one call of the loader did. */
export interface DumpLoadOutcome {
  sha256: string;
  databases: string[];
  /** False when the marker showed this dump (same sha256 and prefix) already loaded and its databases present. */
  loaded: boolean;
  ms: number;
}

/**
 * Loads a MySQL dump (the InterCode-SQL/Spider databases) into the sandbox's MariaDB once. The dump's own account
 * statements are stripped; a marker row keyed by the dump's sha256 (and database prefix) makes later calls no-ops, and a
 * server-side named lock keeps two services starting at once from loading it twice.
 */
export class MysqlDumpLoaderService {
  constructor(
    /** Admin URL, e.g. mysql://root@127.0.0.1:3306. */
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  async load(dumpFile: string, opts: { databasePrefix?: string } = {}): Promise<DumpLoadOutcome> {
    const started = performance.now();
    const raw = await readFile(dumpFile, 'utf8');
    const sha256 = createHash('sha256').update(raw).digest('hex');
    const prefix = opts.databasePrefix ?? '';
    const prepared = prepareSqlDump(raw, { databasePrefix: prefix });
    // A dump is many statements in one text: only this private admin connection may send them together.
    const conn = await mysql.createConnection({ uri: this.url, multipleStatements: true, flags: ['-LOCAL_FILES'] });
    try {
      const [[lock]] = (await conn.query('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, LOCK_WAIT_SECONDS])) as unknown as [{ got: number | null }[]];
      if (Number(lock?.got) !== 1) throw new Error(`could not take the dump-loading lock ${LOCK_NAME} within ${LOCK_WAIT_SECONDS} s`);
      try {
        await conn.query(`CREATE DATABASE IF NOT EXISTS \`${MYSQL_META_DATABASE}\``);
        await conn.query(
          `CREATE TABLE IF NOT EXISTS \`${MYSQL_META_DATABASE}\`.loaded_dump (
             sha256 CHAR(64) NOT NULL, database_prefix VARCHAR(64) NOT NULL, databases_json TEXT NOT NULL,
             source VARCHAR(1024) NOT NULL, loaded_at DATETIME NOT NULL, PRIMARY KEY (sha256, database_prefix))`,
        );
        const [marks] = (await conn.query(
          `SELECT databases_json FROM \`${MYSQL_META_DATABASE}\`.loaded_dump WHERE sha256 = ? AND database_prefix = ?`,
          [sha256, prefix],
        )) as unknown as [{ databases_json: string }[]];
        if (marks.length > 0 && (await this.allPresent(conn, prepared.databases))) {
          return { sha256, databases: prepared.databases, loaded: false, ms: Math.round(performance.now() - started) };
        }
        this.logger.info({ dumpFile, sha256, databases: prepared.databases.length, prefix }, 'loading SQL dump into MySQL');
        await conn.query(prepared.sql);
        await conn.query(
          `REPLACE INTO \`${MYSQL_META_DATABASE}\`.loaded_dump (sha256, database_prefix, databases_json, source, loaded_at) VALUES (?, ?, ?, ?, NOW())`,
          [sha256, prefix, JSON.stringify(prepared.databases), dumpFile.slice(-1024)],
        );
        const ms = Math.round(performance.now() - started);
        this.logger.info({ sha256, ms }, 'SQL dump loaded');
        return { sha256, databases: prepared.databases, loaded: true, ms };
      } finally {
        await conn.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]).catch(() => undefined);
      }
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  /** Drops the databases a prefixed load created, and its marker (tests clean up with it). */
  async unload(dumpFile: string, databasePrefix: string): Promise<void> {
    if (databasePrefix === '') throw new Error('unload needs a database prefix: the unprefixed databases are shared');
    const raw = await readFile(dumpFile, 'utf8');
    const sha256 = createHash('sha256').update(raw).digest('hex');
    const { databases } = prepareSqlDump(raw, { databasePrefix });
    const conn = await mysql.createConnection({ uri: this.url });
    try {
      for (const db of databases) await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
      await conn.query(`DELETE FROM \`${MYSQL_META_DATABASE}\`.loaded_dump WHERE sha256 = ? AND database_prefix = ?`, [sha256, databasePrefix]);
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  private async allPresent(conn: mysql.Connection, databases: string[]): Promise<boolean> {
    if (databases.length === 0) return true;
    const [rows] = (await conn.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)', [
      databases,
    ])) as unknown as [{ name: string }[]];
    return rows.length === databases.length;
  }
}
