import { resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { sandboxV1 } from '@lemur/proto';
import {
  type AgentShell,
  DatasetResolver,
  INTERCODE_BASH_SCRATCH_DIRS,
  intercodeBashBenchmark,
  type IntercodeBashItem,
  intercodeSqlBenchmark,
  type IntercodeSqlItem,
  loadBenchmarkItems,
} from '@lemur/benchmarks';
import { createLogger } from '@lemur/shared-logging';
import { SandboxExecutor } from '@lemur/shared-sandbox-client';
import { createTestMysql } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSpiderDump, MysqlDumpLoaderService } from '../src/sql';
import { mapConcurrent } from '../src/local/humaneval-programs';
import { startTestSandbox, type TestSandbox } from './test-sandbox';

const DATASETS_DIR = resolve(__dirname, '../../../../shared/datasets');

/**
 * Bash golds whose output is not a function of the command alone, so two fresh sandboxes may disagree: the time, the
 * process list, free space, or a network that the sandbox does not have (dig/ping then fail with a changing text).
 * Listed with why. All but two would disagree in upstream's containers too; the two `tar`s into / fail only here, where
 * / is read-only, and their error lines race. In one run some of these pass and some do not (194 to 198 of 200 passed).
 */
const NONDETERMINISTIC_BASH: Record<string, string> = {
  'nl2bash-fs1-11': 'runs `compress` in the background (`&`): the output races the end of the command',
  'nl2bash-fs1-30':
    '`find ${DIRECTORY}` with DIRECTORY unset searches the working directory, /, and so counts the files of /proc, which change with the processes running',
  'nl2bash-fs1-45':
    "`tar czf /backup1.tar` writes into /, read-only in the sandbox (upstream's container root is writable): tar's `Cannot open` error and its report of gzip's exit interleave in either order",
  'nl2bash-fs2-48':
    "`tar -zcvf compress_folder1.tar.gz` writes into the working directory /, read-only in the sandbox (upstream's is writable): tar's file list, its `Cannot open` error and its report of gzip's exit interleave in either order",
  'nl2bash-fs2-49': 'curl has no network in the sandbox; its progress meter prints timings',
  'nl2bash-fs2-42': 'appends `$(date)` to a file and prints it: the two sandboxes disagree whenever a second ticks between them',
  'nl2bash-fs3-44':
    '`df /workspace/...` reports the free space of the file system holding the workspaces, which the sandboxes running at the same time fill and empty',
  'nl2bash-fs4-25': "prints the machine's load average (`w`), which moves between the two sandboxes on a busy machine",
  'nl2bash-fs3-46':
    "`diff <(ls dir1) <(ls dir2)`: the directories do not exist, and the two `ls` of the process substitutions run at once, so their error lines come in either order (even interleaved); about 1 run in 40",
};

/** Gold queries that fail on MariaDB with InterCode's settings, each with why (measured; see the first test). */
const CORRUPT_SQL_GOLDS: Record<string, string> = {
  'spider-dev-164': '`FROM SHOW`: SHOW is a reserved word in MySQL and MariaDB (the table is `show`)',
  'spider-dev-802': '`FROM SHOW`, as spider-dev-164',
  'spider-dev-178': 'a derived table without an alias, and INTERSECT, which MySQL only has since 8.0.31',
  'spider-dev-225': 'the same query as spider-dev-178',
};
const TOP_LEVEL_TIE = /^SELECT (.+?) FROM (.+) ORDER BY count\(\*\)( ASC| DESC)? LIMIT 1\s*;?$/is;
const SUBQUERY_TIE = /\(\s*SELECT [^()]*ORDER BY count\(\*\)( ASC| DESC)? LIMIT 1\s*\)/i;

/** Whether a gold's single row is one of several tied by count(*): the two top counts of the same query are equal. */
async function tiedGold(item: IntercodeSqlItem): Promise<boolean> {
  if (SUBQUERY_TIE.test(item.gold)) return true;
  const m = TOP_LEVEL_TIE.exec(item.gold);
  if (m === null) return false;
  const probe = `SELECT count(*) FROM ${m[2]} ORDER BY count(*)${m[3] ?? ''} LIMIT 2`;
  const r = await executor.execute({ language: 'sql', code: probe, timeoutMs: 30_000, database: { kind: 'mysql', name: item.db } });
  const rows = (JSON.parse(r.stdout) as { rows: unknown[][] }).rows;
  return rows.length === 2 && String(rows[0]![0]) === String(rows[1]![0]);
}

const dump = findSpiderDump();
let sandbox: TestSandbox;
let executor: SandboxExecutor;
let mysqlUrl: string;
let prefix: string;
let sqlItems: IntercodeSqlItem[];
let bashItems: IntercodeBashItem[];

beforeAll(async () => {
  if (dump === null) throw new Error('the Spider MySQL dump is missing: expected shared/datasets/intercode/sql/spider/ic_spider_dbs.sql');
  // InterCode's server runs with --lower_case_table_names=1 (docker/sql-docker-compose.yml): Spider's golds name tables
  // and aliases in any case (the dump was made on macOS). A server of our own has that setting; the shared one may not.
  const server = await createTestMysql({ serverArgs: ['--lower-case-table-names=1'] });
  mysqlUrl = server.url;
  prefix = `${server.uniqueName('ic')}_`;
  sandbox = await startTestSandbox(
    {
      SANDBOX_MYSQL_URL: mysqlUrl,
      SANDBOX_MYSQL_DUMP: dump,
      SANDBOX_MYSQL_DB_PREFIX: prefix,
      SANDBOX_MAX_CONCURRENT: '4',
      // InterCode-Bash's file systems live in /testbed, /system and /backup.
      SANDBOX_SCRATCH_DIRS: INTERCODE_BASH_SCRATCH_DIRS.join(','),
    },
    120_000,
  );
  executor = new SandboxExecutor(sandbox.client, 'intercode-test');
  const resolver = new DatasetResolver({ datasetsDir: DATASETS_DIR, online: false });
  sqlItems = (await loadBenchmarkItems(intercodeSqlBenchmark as never, resolver)).items as IntercodeSqlItem[];
  bashItems = (await loadBenchmarkItems(intercodeBashBenchmark as never, resolver)).items as IntercodeBashItem[];
}, 180_000);

afterAll(async () => {
  await sandbox?.close();
  if (dump !== null && prefix) await new MysqlDumpLoaderService(mysqlUrl, createLogger('test', 'silent')).unload(dump, prefix);
});

describe('InterCode known answers through the real sandbox (MariaDB with the Spider dump, bash sandboxes)', () => {
  it('every Spider gold query that runs on MariaDB scores reward 1 against itself; the ones that fail are corrupt upstream too', async () => {
    const started = Date.now();
    const verdicts = await mapConcurrent(sqlItems, 6, async (item) => ({
      item,
      verdict: await intercodeSqlBenchmark.score(item, intercodeSqlBenchmark.referenceCompletion(item), { executor }),
    }));
    const failed = verdicts.filter((v) => !v.verdict.passed);
    const goldErrors = failed.filter((v) => v.verdict.reason.includes('the gold query failed'));
    // A gold that picks one row of several tied ones (ORDER BY count(*) … LIMIT 1) may pick another on its next run:
    // such a failure is excused only when the tie is shown (the top two counts are equal), or, for a tie inside a
    // subquery, when the item is one of the few whose subquery has that shape.
    const ties: typeof failed = [];
    for (const v of failed.filter((f) => !goldErrors.includes(f))) if (await tiedGold(v.item)) ties.push(v);
    const other = failed.filter((v) => !goldErrors.includes(v) && !ties.includes(v));
    const show = (list: typeof failed): string => list.map((v) => `${v.item.id} (${v.item.db}): ${v.item.gold} → ${v.verdict.reason}`).join('\n');
    console.log(
      `intercode-sql: ${verdicts.length - failed.length}/${verdicts.length} gold queries score 1 in ${Date.now() - started} ms\n` +
        `golds that fail on the server:\n${show(goldErrors)}\ngolds choosing among tied rows:\n${show(ties)}\nother:\n${show(other)}`,
    );
    expect(goldErrors.map((v) => v.item.id).sort()).toEqual(Object.keys(CORRUPT_SQL_GOLDS).sort());
    expect(show(other)).toBe('');
    // The gold really ran: the rows came back from the Spider databases.
    expect(verdicts.filter((v) => /^reward 1\.0; [1-9]\d* rows/.test(v.verdict.reason)).length).toBeGreaterThan(900);
  }, 600_000);

  it('wrong queries score 0: a constant row on every 10th item, and each gold of one database run against another question', async () => {
    const sample = sqlItems.filter((_, i) => i % 10 === 0);
    const constant = await mapConcurrent(sample, 6, (item) => intercodeSqlBenchmark.score(item, intercodeSqlBenchmark.wrongCompletion(), { executor }));
    expect(constant.filter((v) => v.passed)).toEqual([]);
    expect(constant.every((v) => v.score === 0)).toBe(true);
    // Another question's gold on the same database: a plausible, executable, wrong query.
    const swapped = sample
      .map((item) => ({ item, other: sqlItems.find((o) => o.db === item.db && o.gold.trim().toLowerCase() !== item.gold.trim().toLowerCase()) }))
      .filter((p): p is { item: IntercodeSqlItem; other: IntercodeSqlItem } => p.other !== undefined);
    const verdicts = await mapConcurrent(swapped, 6, async ({ item, other }) => ({
      item,
      other,
      verdict: await intercodeSqlBenchmark.score(item, `\`\`\`sql\n${other.gold}\n\`\`\``, { executor }),
    }));
    const passed = verdicts.filter((v) => v.verdict.passed).map((v) => `${v.item.id} with the gold of ${v.other.id}`);
    // Two different golds can return the same rows (e.g. two counts that are both 0); those are right answers, not wrong ones.
    console.log(`intercode-sql swapped golds: ${passed.length}/${verdicts.length} score 1 because the results coincide: ${passed.join(', ')}`);
    expect(passed.length).toBeLessThanOrEqual(Math.ceil(verdicts.length * 0.05));
  }, 600_000);

  it('a syntax error and a query on a missing table show mysql.connector-style errors with reward 0.0', async () => {
    const item = sqlItems[0]!;
    const v = await intercodeSqlBenchmark.agent.judge(item, 'SELECT nope FROM poker_player', { executor });
    expect(v).toMatchObject({ success: false, reward: 0, rewardText: '0.0' });
    // MariaDB names the clause ('SELECT'); MySQL 8 says 'field list'.
    expect(v.observation).toMatch(/^Error executing query: Unknown column 'nope' in '(SELECT|field list)'$/);
    const tables = await intercodeSqlBenchmark.agent.judge(item, 'SHOW TABLES', { executor });
    expect(tables.observation).toBe("[('people',), ('poker_player',)]");
  }, 60_000);

  it('every NL2Bash gold command scores reward 1 against itself in two fresh sandboxes built as its file system; only the listed nondeterministic ones may not', async () => {
    const started = Date.now();
    const verdicts = await mapConcurrent(bashItems, 4, async (item) => ({
      item,
      verdict: await intercodeBashBenchmark.score(item, intercodeBashBenchmark.referenceCompletion(item), { executor }),
    }));
    const failed = verdicts.filter((v) => !v.verdict.passed && NONDETERMINISTIC_BASH[v.item.id] === undefined);
    console.log(
      `intercode-bash: ${verdicts.filter((v) => v.verdict.passed).length}/${verdicts.length} gold commands score 1 in ${Date.now() - started} ms; ` +
        `listed nondeterministic ones below 1 this time: ${verdicts.filter((v) => !v.verdict.passed && NONDETERMINISTIC_BASH[v.item.id] !== undefined).map((v) => v.item.id).join(', ') || 'none'}; failing:\n${failed
        .map((v) => `${v.item.id}: ${v.item.gold} → ${v.verdict.reason}`)
        .join('\n')}`,
    );
    expect(failed.map((v) => v.item.id)).toEqual([]);
    // The file systems were really there: golds reading /testbed, /system and /workspace printed their files.
    const said = (id: string): string => verdicts.find((v) => v.item.id === id)?.verdict.reason ?? '';
    expect(verdicts.filter((v) => v.item.fileSystem !== 4 && /output 0\.33/.test(v.verdict.reason)).length).toBeGreaterThan(150);
    expect(said('nl2bash-fs1-15')).toMatch(/^reward 1\.0/);
  }, 600_000);

  it('in a session built as the task\'s file system, the gold action scores 1 and a wrong one does not', async () => {
    const ids = ['nl2bash-fs1-15', 'nl2bash-fs2-17', 'nl2bash-fs2-18', 'nl2bash-fs3-58', 'nl2bash-fs4-0'];
    for (const id of ids) {
      const item = bashItems.find((i) => i.id === id)!;
      const { sessionId } = await sandbox.client.createSession({ language: sandboxV1.Language.BASH, team: 'intercode-test', limits: { wallMs: 30_000, cpuMs: 30_000 }, idleTimeoutMs: 60_000 });
      const session: AgentShell = {
        run: async (code) => {
          const r = (await sandbox.client.runCell({ sessionId, team: 'intercode-test', code, wallMs: 30_000 })).result ?? create(sandboxV1.ExecuteResponseSchema);
          return { exitCode: r.exitCode ?? null, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut, memoryExceeded: false, outputTruncated: false, wallMs: 0 };
        },
      };
      try {
        await session.run(intercodeBashBenchmark.agent.sessionSetup!(item));
        const wrong = await session.run(intercodeBashBenchmark.wrongCompletion());
        const w = await intercodeBashBenchmark.agent.judge(item, intercodeBashBenchmark.wrongCompletion(), { executor, session, observation: wrong.stdout });
        expect(w.success, `${id}: ${w.reason}`).toBe(false);
        const gold = await session.run(item.gold);
        const g = await intercodeBashBenchmark.agent.judge(item, item.gold, { executor, session, observation: `${gold.stdout}${gold.stderr}` });
        expect(g, `${id}: ${g.reason}`).toMatchObject({ success: true, reward: 1 });
      } finally {
        await sandbox.client.closeSession({ sessionId, team: 'intercode-test' });
      }
    }
  }, 300_000);

  it('refuses to score InterCode-Bash in a sandbox without its scratch directories, saying which setting to add', async () => {
    const bare = await startTestSandbox({ SANDBOX_EXEC_POOL_SIZE: '0', SANDBOX_SESSION_POOL_SIZE: '0' });
    try {
      const item = bashItems[0]!;
      await expect(intercodeBashBenchmark.score(item, item.gold, { executor: new SandboxExecutor(bare.client, 'intercode-test') })).rejects.toMatchObject({
        code: 'ENVIRONMENT_UNSUITABLE',
        message: expect.stringContaining('SANDBOX_SCRATCH_DIRS=/testbed,/system,/backup'),
      });
    } finally {
      await bare.close();
    }
  }, 60_000);

  it('wrong commands score 0 on every 10th NL2Bash task', async () => {
    const sample = bashItems.filter((_, i) => i % 10 === 0);
    const verdicts = await mapConcurrent(sample, 4, (item) => intercodeBashBenchmark.score(item, intercodeBashBenchmark.wrongCompletion(), { executor }));
    expect(verdicts.filter((v) => v.passed)).toEqual([]);
  }, 300_000);
});
