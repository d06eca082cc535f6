import { describe, expect, it } from 'vitest';
import { type CodeExecutor, type ExecutionRequest, type ExecutionResult, promptText } from '../benchmark';
import { createOracleIndex } from '../oracle/oracle-index';
import { getBenchmark, listBenchmarks } from '../registry';
import { readSharedDataset } from '../testing/shared-datasets';
import { IntercodeEpisode } from './intercode-episode';
import { parseIntercodeBashAction, parseIntercodeSqlAction } from './intercode-parsers';
import { INTERCODE_BUDGETS, intercodeRetryMessage } from './intercode-prompt';
import { intercodeBashBenchmark, intercodeQueryProbes, intercodeSqlBenchmark, judgeIntercodeSql } from './intercode.benchmark';

const sqlItems = intercodeSqlBenchmark.parse(readSharedDataset(intercodeSqlBenchmark));
const bashItems = intercodeBashBenchmark.parse(readSharedDataset(intercodeBashBenchmark));

/** Answers SQL runs from a table of statement → rows (or error text), as the sandbox would print them. */
class TableExecutor implements CodeExecutor {
  readonly seen: ExecutionRequest[] = [];
  constructor(private readonly table: Record<string, { rows: (string | number | null)[][] } | { error: string }>) {}
  async execute(req: ExecutionRequest): Promise<ExecutionResult> {
    this.seen.push(req);
    const hit = this.table[req.code];
    const base = { timedOut: false, memoryExceeded: false, outputTruncated: false, wallMs: 1 };
    if (hit === undefined || 'error' in hit) {
      return { ...base, exitCode: 1, stdout: '', stderr: `ERROR 1054 (42S22): ${hit && 'error' in hit ? hit.error : `no answer for ${req.code}`}\n` };
    }
    return { ...base, exitCode: 0, stdout: `${JSON.stringify({ columns: ['c'], rows: hit.rows, truncated: false })}\n`, stderr: '' };
  }
}

describe('InterCode benchmarks: data, prompts and oracle', () => {
  it('reads all 1,034 Spider dev questions and 200 NL2Bash tasks with their fields', () => {
    expect(sqlItems).toHaveLength(1034);
    expect(new Set(sqlItems.map((i) => i.db)).size).toBe(20);
    expect(sqlItems[0]).toMatchObject({ id: 'spider-dev-0', db: 'poker_player', hardness: 'medium' });
    expect(bashItems).toHaveLength(200);
    expect([1, 2, 3, 4].map((fs) => bashItems.filter((i) => i.fileSystem === fs).length)).toEqual([60, 53, 60, 27]);
    expect(getBenchmark('intercode-sql').name).toBe('intercode-sql');
    expect(getBenchmark('intercode-bash@1.1.0').version).toBe('1.1.0');
  });

  it('shows the schema handicap as the system message and the query in the game template (SQL)', () => {
    const prompt = intercodeSqlBenchmark.buildPrompt(sqlItems[0]!);
    expect(prompt.kind).toBe('chat');
    const [system, user] = prompt.kind === 'chat' ? prompt.messages : [];
    expect(system?.content).toBe(
      "MySQL tables, with their properties\n- poker_player: ['Poker_Player_ID', 'People_ID', 'Final_Table_Made', 'Best_Finish', 'Money_Rank', 'Earnings']\n- people: ['People_ID', 'Nationality', 'Name', 'Birth_Date', 'Height']\n",
    );
    expect(user?.content).toMatch(/^`SQLEnv` is a multi-turn game/);
    expect(user?.content.endsWith(`Query: "${sqlItems[0]!.query}".\nDo not generate any output or reward.\n`)).toBe(true);
  });

  it('finds every item from its first turn and from a later, trimmed conversation; every gold action parses back', () => {
    const entries = listBenchmarks().map((b) => ({
      benchmark: b,
      items: b === (intercodeSqlBenchmark as unknown) ? sqlItems : b === (intercodeBashBenchmark as unknown) ? bashItems : [],
    }));
    const index = createOracleIndex(entries);
    const misses: string[] = [];
    for (const [benchmark, items] of [
      [intercodeSqlBenchmark, sqlItems],
      [intercodeBashBenchmark, bashItems],
    ] as const) {
      for (const item of items) {
        const first = promptText(benchmark.buildPrompt(item as never));
        const later = `${first}\n\`\`\`sql\nSHOW TABLES\n\`\`\`\nMySQL Database Output: [('a',)]\nReward: 0.0\nHere is the query again: "${item.query}"\n`;
        for (const text of [first, later]) {
          const hit = index.lookup(text);
          if (hit?.benchmark !== (benchmark as unknown) || hit?.item.id !== item.id) misses.push(`${item.id}: found ${hit?.item.id ?? 'nothing'}`);
        }
        const reference = benchmark.referenceCompletion(item as never);
        const parsed = benchmark === (intercodeSqlBenchmark as unknown) ? parseIntercodeSqlAction(reference) : parseIntercodeBashAction(reference);
        // SQL: the statement without its final ";", as written or (fenced) with its whitespace flattened.
        const statement = item.gold.replace(/;\s*$/, '');
        const want =
          benchmark === (intercodeSqlBenchmark as unknown) ? [statement, statement.split(/\s+/).filter(Boolean).join(' ')] : [item.gold.replaceAll('\n', ' ')];
        if (parsed.kind !== 'action' || !parsed.isCode || !want.includes(parsed.action)) misses.push(`${item.id}: gold parses to ${JSON.stringify(parsed)}`);
      }
    }
    expect(misses).toEqual([]);
    expect(intercodeQueryProbes('Question: 1+1?\nAnswer:')).toEqual([]);
  });
});

describe('InterCode-SQL judge', () => {
  const item = { ...sqlItems[0]!, gold: 'SELECT g' };

  it('scores the gold result 1 and shows the rows as Python tuples', async () => {
    const ex = new TableExecutor({ 'SELECT g': { rows: [['Ann'], ['Bo']] }, 'SELECT a': { rows: [['Ann'], ['Bo']] } });
    const v = await judgeIntercodeSql(item, 'SELECT a', { executor: ex });
    expect(v).toMatchObject({ success: true, reward: 1, rewardText: '1.0', observation: "[('Ann',), ('Bo',)]" });
    expect(ex.seen.find((r) => r.code === 'SELECT a')).toMatchObject({ language: 'sql', database: { kind: 'mysql', name: 'poker_player' } });
  });

  it('shows an error as mysql.connector did, with reward 0.0', async () => {
    const ex = new TableExecutor({ 'SELECT g': { rows: [['Ann']] }, 'SELECT x': { error: "Unknown column 'x' in 'field list'" } });
    const v = await judgeIntercodeSql(item, 'SELECT x', { executor: ex });
    expect(v).toMatchObject({ success: false, reward: 0, rewardText: '0.0', observation: "Error executing query: Unknown column 'x' in 'field list'" });
  });

  it("refuses a server that compares table names by case (InterCode's runs with lower_case_table_names=1)", async () => {
    const ex = new TableExecutor({ 'SELECT @@lower_case_table_names': { rows: [[0]] }, 'SELECT g': { rows: [] } });
    await expect(judgeIntercodeSql(item, 'SELECT g', { executor: ex })).rejects.toMatchObject({ code: 'ENVIRONMENT_UNSUITABLE' });
    const ok = new TableExecutor({ 'SELECT @@lower_case_table_names': { rows: [[1]] }, 'SELECT g': { rows: [] } });
    expect(await judgeIntercodeSql(item, 'SELECT g', { executor: ok })).toMatchObject({ success: true, reward: 1, rewardText: '1' });
    await judgeIntercodeSql(item, 'SELECT g', { executor: ok });
    // Checked once per executor.
    expect(ok.seen.filter((r) => r.code === 'SELECT @@lower_case_table_names')).toHaveLength(1);
  });

  it('gives partial credit for a partial result', async () => {
    const ex = new TableExecutor({ 'SELECT g': { rows: [['Ann'], ['Bo']] }, 'SELECT h': { rows: [['Ann']] } });
    expect(await judgeIntercodeSql(item, 'SELECT h', { executor: ex })).toMatchObject({ success: false, reward: 0.5, rewardText: '0.5' });
  });
});

describe('InterCode episodes (eval_n_turn.py with the HF-chat policy)', () => {
  it('SQL: an action is judged at once; a wrong one is answered with output and reward, then the gold ends it', () => {
    const ep = new IntercodeEpisode('sql', { query: 'How many?', tables: { t: ['a'] } }, INTERCODE_BUDGETS.sql);
    const first = ep.next();
    expect(first.kind === 'model' && first.messages.map((m) => m.role)).toEqual(['system', 'user']);
    ep.submitModelTurn('```sql\nSHOW TABLES;\n```<|im_end|>');
    expect(ep.next()).toEqual({ kind: 'judge', solution: 'SHOW TABLES' });
    ep.submitJudgement({ success: false, observation: "[('t',)]", reward: 0, rewardText: '0.0' });
    const second = ep.next();
    expect(second.kind).toBe('model');
    const msgs = second.kind === 'model' ? second.messages : [];
    expect(msgs[2]).toEqual({ role: 'assistant', content: '```sql\nSHOW TABLES\n```' });
    expect(msgs[3]?.content).toBe(
      'MySQL Database Output: [(\'t\',)]\nReward: 0.0\nHere is the query again: "How many?"\nTry something different to generate SQL command to get a reward of 1.\nDo not generate any output or reward.\n',
    );
    ep.submitModelTurn('SELECT count(*) FROM t');
    ep.submitJudgement({ success: true, observation: '[(3,)]', reward: 1, rewardText: '1.0' });
    expect(ep.next()).toEqual({ kind: 'done', success: true, terminateReason: 'reward_1' });
    expect(ep.turns).toHaveLength(2);
  });

  it('SQL: a reply without code gets the retry message and reward 0; ten turns end the episode; the dialogue keeps 2 + 5 messages', () => {
    const ep = new IntercodeEpisode('sql', { query: 'q' }, INTERCODE_BUDGETS.sql);
    for (let turn = 0; turn < 10; turn += 1) {
      const step = ep.next();
      expect(step.kind).toBe('model');
      if (step.kind === 'model' && turn > 0) {
        expect(step.messages.length).toBeLessThanOrEqual(2 + 5);
        expect(step.messages.at(-1)?.content).toContain(`MySQL Database Output: ${intercodeRetryMessage('sql')}\nReward: 0\n`);
      }
      ep.submitModelTurn('I do not know.');
    }
    expect(ep.next()).toEqual({ kind: 'done', success: false, terminateReason: 'max_turns' });
  });

  it('Bash: an action runs in the shell first, then is judged with its output', () => {
    const ep = new IntercodeEpisode('bash', { query: 'List files' }, INTERCODE_BUDGETS.bash);
    const first = ep.next();
    expect(first.kind === 'model' && first.messages[0]?.content).toBe('You are a helpful assistant expert specializing in BASH.');
    ep.submitModelTurn('ls /testbed');
    expect(ep.next()).toEqual({ kind: 'execute', code: 'ls /testbed' });
    ep.submitExecution('a.txt\n');
    expect(ep.next()).toEqual({ kind: 'judge', solution: 'ls /testbed', observation: 'a.txt\n' });
    ep.submitJudgement({ success: false, reward: 0.67, rewardText: '0.67' });
    const next = ep.next();
    expect(next.kind === 'model' && next.messages.at(-1)?.content).toMatch(/^Bourne Shell Output: a\.txt\n\nReward: 0\.67\n/);
  });

  it('Bash: "Command:" without a lower-case "command:" blocks the episode as upstream', () => {
    const ep = new IntercodeEpisode('bash', { query: 'q' }, INTERCODE_BUDGETS.bash);
    ep.submitModelTurn('Command: ls');
    expect(ep.next()).toEqual({ kind: 'done', success: false, terminateReason: 'blocked' });
  });
});
