import { describe, expect, it } from 'vitest';
import { promptText } from '../benchmark';
import { createOracleIndex } from '../oracle/oracle-index';
import { getBenchmark } from '../registry';
import { mapWithConcurrency, PythonProcessExecutor } from '../testing/python-process.executor';
import { readSharedDataset } from '../testing/shared-datasets';
import { extractSpiderSql } from './spider-sql-extract';
import { spiderBenchmark, type SpiderItem } from './spider.benchmark';

const items = spiderBenchmark.parse(readSharedDataset(spiderBenchmark));
const executor = new PythonProcessExecutor();
const byId = (id: string): SpiderItem => items.find((i) => i.id === id)!;

describe('spider@1.0.0', () => {
  it('is registered and reads the 1,034 Spider dev questions with their hardness', () => {
    expect(getBenchmark('spider')).toBe(spiderBenchmark);
    expect(getBenchmark('spider@1.0.0').dataset.files.map((f) => f.file)).toEqual(['intercode/sql/spider/ic_spider_dev.json', 'intercode/sql/spider/ic_spider_dbs.sql']);
    expect(items).toHaveLength(1034);
    const hardness: Record<string, number> = {};
    for (const i of items) hardness[spiderBenchmark.group(i)] = (hardness[spiderBenchmark.group(i)] ?? 0) + 1;
    // The groups of the run summary's breakdown are Spider's hardness levels.
    expect(hardness).toEqual({ easy: 248, medium: 446, hard: 174, extra: 166 });
  });

  it('prompts with the SQLite schema, the instruction and the question; stops at ";"', () => {
    const item = items[0]!;
    const completion = spiderBenchmark.buildPrompt(item, { chat: false });
    expect(completion.kind).toBe('completion');
    const text = promptText(completion);
    expect(text).toContain('CREATE TABLE "poker_player" (\n  "Poker_Player_ID" int NOT NULL,');
    expect(text.endsWith(`-- Using valid SQLite, answer the following question for the tables provided above.\n-- Question: ${item.question}\n-- SQLite query:\n`)).toBe(true);
    const chat = spiderBenchmark.buildPrompt(item, { chat: true });
    expect(chat.kind === 'chat' && chat.messages.map((m) => m.role)).toEqual(['user']);
    expect(promptText(chat)).toContain('Reply with one SQL query in a ```sql block.\nQuestion: ');
    expect(spiderBenchmark.sampling).toMatchObject({ temperature: 0, stop: [';'] });
  });

  it('the oracle finds every item from its prompt, and its answer extracts to the gold (both prompt kinds)', () => {
    const oracle = createOracleIndex([{ benchmark: spiderBenchmark, items }]);
    for (const chat of [false, true]) {
      for (const item of items) {
        expect(oracle.lookup(promptText(spiderBenchmark.buildPrompt(item, { chat })))?.item.id).toBe(item.id);
        expect(extractSpiderSql(spiderBenchmark.referenceCompletion(item, { chat }))).toBe(item.gold.replace(/;\s*$/, ''));
      }
    }
  });

  it('scores reference answers 1 and wrong answers 0 on every 40th item (all 1,034 run in the sandbox int-spec)', async () => {
    const sample = items.filter((_, i) => i % 40 === 0);
    const verdicts = await mapWithConcurrency(sample, 3, async (item) => ({
      id: item.id,
      right: await spiderBenchmark.score(item, spiderBenchmark.referenceCompletion(item, { chat: true }), { executor }),
      wrong: await spiderBenchmark.score(item, spiderBenchmark.wrongCompletion(item, { chat: false }), { executor }),
    }));
    expect(verdicts.filter((v) => !v.right.passed).map((v) => `${v.id}: ${v.right.reason}`)).toEqual([]);
    expect(verdicts.filter((v) => v.wrong.score !== 0).map((v) => v.id)).toEqual([]);
  }, 120_000);

  it('judges by result, not by text: other spellings of the gold pass, near misses fail', async () => {
    const item = items[0]!; // SELECT T1.Name FROM people AS T1 JOIN poker_player AS T2 ... ORDER BY T2.Final_Table_Made
    const score = async (sql: string) => (await spiderBenchmark.score(item, sql, { executor })).score;
    expect(await score('select p.name from PEOPLE p join POKER_PLAYER pp on p.people_id = pp.people_id order by pp.final_table_made asc')).toBe(1);
    // The gold orders its rows, so the order is compared.
    expect(await score('SELECT T1.Name FROM people AS T1 JOIN poker_player AS T2 ON T1.People_ID = T2.People_ID ORDER BY T2.Final_Table_Made DESC')).toBe(0);
    // Without ORDER BY in the gold the rows compare as a bag, and the columns in any order.
    const models = byId('spider-dev-90'); // SELECT Maker , Model FROM MODEL_LIST;
    expect((await spiderBenchmark.score(models, 'SELECT model, maker FROM model_list ORDER BY model DESC', { executor })).score).toBe(1);
    expect((await spiderBenchmark.score(models, 'SELECT model, maker FROM model_list LIMIT 5', { executor })).score).toBe(0);
    // DISTINCT is removed from both queries, as the official evaluation does by default (--keep_distinct off).
    const dogs = byId('spider-dev-21'); // SELECT DISTINCT breed_code , size_code FROM dogs
    expect((await spiderBenchmark.score(dogs, 'SELECT breed_code, size_code FROM dogs', { executor })).score).toBe(1);
  });

  it('keeps a hostile prediction read-only and bounded', async () => {
    const item = items.find((i) => i.db === 'world_1')!;
    const run = (sql: string) => spiderBenchmark.score(item, sql, { executor });
    // Only one statement runs, and writes, ATTACH and extensions are refused by the authorizer.
    expect((await run('WITH x AS (SELECT 1) DELETE FROM city')).reason).toBe('the query failed: DatabaseError: not authorized');
    expect((await run("SELECT 1; ATTACH DATABASE '/tmp/x.db' AS x")).extracted).toBe('SELECT 1');
    expect((await run("SELECT load_extension('/tmp/x.so')")).reason).toMatch(/^the query failed: .*not authorized/);
    // A cross join of 4,079 cities with themselves stops one row past the gold's count.
    const big = await run('SELECT a.ID, b.ID FROM city a, city b');
    expect(big.reason).toMatch(/more rows than the gold's/);
    expect(big.execution!.stdout.length).toBeLessThan(200_000);
    expect((await run('SELECT nope FROM city')).reason).toBe('the query failed: OperationalError: no such column: nope');
    expect((await run('I cannot answer that.')).reason).toBe('no SQL query (SELECT or WITH) in the completion');
  }, 60_000);

  it('refuses to score against a gold query that fails, rather than calling the answer wrong', async () => {
    const broken = { ...items[0]!, id: 'broken', gold: 'SELECT missing FROM people' };
    await expect(spiderBenchmark.score(broken, 'SELECT 1', { executor })).rejects.toThrow(/the gold query of broken fails on poker_player/);
  });
});
