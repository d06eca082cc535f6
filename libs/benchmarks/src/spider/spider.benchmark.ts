import {
  type Benchmark,
  type CodeExecutor,
  type DatasetFiles,
  type DatasetSpec,
  type Prompt,
  type PromptOptions,
  type SamplingDefaults,
  type ScoreResult,
} from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { datasetFile } from '../dataset/dataset-files';
import { sha256Hex } from '../hash';
import { INTERCODE_SQL_DATASET, parseIntercodeSqlItems } from '../intercode/intercode-tasks';
import { oracleKey } from '../oracle/oracle-key';
import { spiderEvalQuery, spiderOrderMatters, spiderResultEq } from './spider-exec-match';
import { parseSpiderExecution, spiderExecutionProgram } from './spider-exec-program';
import { extractSpiderSql } from './spider-sql-extract';
import { spiderSqliteDatabases, type SpiderSqliteDatabase } from './spider-sqlite-dump';

/** One Spider dev question with its database rebuilt for SQLite (shared by every item of that database). */
export interface SpiderItem {
  id: string;
  db: string;
  question: string;
  gold: string;
  /** Spider's difficulty label: easy, medium, hard or extra. */
  hardness: string;
  database: SpiderSqliteDatabase;
}

const INSTRUCTION = 'Using valid SQLite, answer the following question for the tables provided above.';
const COMPLETION_QUESTION = '-- Question: ';
const CHAT_QUESTION = 'Question: ';
const CHAT_FORMAT = 'Reply with one SQL query in a ```sql block.';
/** What a model answers when it gives up: a query no gold result equals. */
const WRONG_SQL = "SELECT 'lemur-wrong-answer'";
// Generous for the program: building world_1 and running two statements, each stopped by its own deadline first.
const PROGRAM_TIMEOUT_MS = 60_000;

const schemaText = (db: SpiderSqliteDatabase): string => db.creates.map((c) => `${c};`).join('\n\n');

/**
 * Spider dev (`spider@1.0.0`): 1,034 questions over 20 databases, execution accuracy on SQLite as the official Spider
 * evaluation computes it (taoyds/test-suite-sql-eval exec_eval.py on the item's own database). The data is InterCode's
 * copy (the same files as `intercode-sql`); its MySQL dump is converted to SQLite once per dump hash. The Lemur repo
 * publishes no Spider harness (🚧), so the prompt is the zero-shot "CREATE TABLE" prompt of Rajkumar et al. 2022: the
 * database's schema, the instruction, then the question; greedy, stopped at ";".
 */
export class SpiderBenchmark implements Benchmark<SpiderItem> {
  readonly name = 'spider';
  readonly version = '1.0.0';
  readonly metric = 'accuracy';
  readonly dataset: DatasetSpec = INTERCODE_SQL_DATASET;
  readonly sampling: SamplingDefaults = { maxTokens: 512, temperature: 0, topP: 1, stop: [';'] };
  readonly promptTemplateHash = sha256Hex(
    JSON.stringify({
      completion: `{schema}\n\n-- ${INSTRUCTION}\n${COMPLETION_QUESTION}{question}\n-- SQLite query:\n`,
      chat: `{schema}\n\n${INSTRUCTION} ${CHAT_FORMAT}\n${CHAT_QUESTION}{question}`,
      schema: 'CREATE TABLE statements of the SQLite conversion, ";\\n\\n" between them',
    }),
  );

  parse(files: DatasetFiles): SpiderItem[] {
    const databases = spiderSqliteDatabases(datasetFile(files, INTERCODE_SQL_DATASET.files[1]!.file));
    return parseIntercodeSqlItems(files).map((row) => {
      const database = databases.get(row.db);
      if (database === undefined) {
        throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `Spider item ${row.index} names database ${row.db}, which ic_spider_dbs.sql does not create`, {
          db: row.db,
        });
      }
      return { id: `spider-dev-${row.index}`, db: row.db, question: row.query, gold: row.gold, hardness: row.hardness, database };
    });
  }

  buildPrompt(item: SpiderItem, opts: PromptOptions): Prompt {
    const schema = schemaText(item.database);
    if (opts.chat) {
      return { kind: 'chat', messages: [{ role: 'user', content: `${schema}\n\n${INSTRUCTION} ${CHAT_FORMAT}\n${CHAT_QUESTION}${item.question}` }] };
    }
    return { kind: 'completion', text: `${schema}\n\n-- ${INSTRUCTION}\n${COMPLETION_QUESTION}${item.question}\n-- SQLite query:\n` };
  }

  /** Runs the extracted query and the gold in one sandbox program and compares their results as exec_eval.py does. */
  async score(item: SpiderItem, completion: string, ctx: { executor: CodeExecutor }): Promise<ScoreResult> {
    const sql = extractSpiderSql(completion);
    if (sql === undefined) return { score: 0, passed: false, reason: 'no SQL query (SELECT or WITH) in the completion' };
    const gold = spiderEvalQuery(item.gold);
    const execution = await ctx.executor.execute({ language: 'python', code: spiderExecutionProgram(item.database, gold, spiderEvalQuery(sql)), timeoutMs: PROGRAM_TIMEOUT_MS });
    const wrong = (reason: string): ScoreResult => ({ score: 0, passed: false, extracted: sql, reason, execution });
    const outcome = parseSpiderExecution(execution.stdout);
    if (outcome === undefined) {
      // Only the prediction can exhaust the sandbox (the gold runs first and every gold finishes in milliseconds).
      if (execution.timedOut) return wrong('the query ran past the sandbox time limit');
      if (execution.memoryExceeded) return wrong('the query exhausted the sandbox memory');
      throw new Error(`the Spider execution program failed in the sandbox (exit ${execution.exitCode}): ${execution.stderr.slice(-500)}`);
    }
    if ('error' in outcome.gold) {
      throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `the gold query of ${item.id} fails on ${item.db}: ${outcome.gold.error}`, { item: item.id });
    }
    if ('error' in outcome.pred) return wrong(`the query failed: ${outcome.pred.error}`);
    const goldRows = outcome.gold.rows.length;
    if (outcome.pred.truncated) return wrong(`the query returned more rows than the gold's ${goldRows}`);
    const orderMatters = spiderOrderMatters(gold);
    const passed = spiderResultEq(outcome.gold.rows, outcome.pred.rows, orderMatters);
    if (passed) return { score: 1, passed, extracted: sql, reason: `same result as the gold (${goldRows} rows${orderMatters ? ', in order' : ''}); ${item.hardness}`, execution };
    return wrong(`${outcome.pred.rows.length} rows differ from the gold's ${goldRows}${orderMatters ? ' (order compared: the gold has ORDER BY)' : ''}; ${item.hardness}`);
  }

  referenceCompletion(item: SpiderItem, opts: PromptOptions): string {
    return this.answerWith(item.gold.replace(/;\s*$/, ''), opts);
  }

  wrongCompletion(_item: SpiderItem, opts: PromptOptions): string {
    return this.answerWith(WRONG_SQL, opts);
  }

  /** Spider's official evaluation reports execution accuracy per hardness (easy, medium, hard, extra). */
  group(item: SpiderItem): string {
    return item.hardness;
  }

  oracleKeys(item: SpiderItem): string[] {
    return [`${this.name}:${oracleKey(item.question)}`];
  }

  /** The question after the last "-- Question: " (completion) or "Question: " (chat) up to the end of its line. */
  oracleProbes(promptText: string): string[] {
    for (const marker of [COMPLETION_QUESTION, CHAT_QUESTION]) {
      const at = promptText.lastIndexOf(marker);
      if (at < 0) continue;
      const rest = promptText.slice(at + marker.length);
      return [`${this.name}:${oracleKey(rest.split('\n')[0] ?? '')}`];
    }
    return [];
  }

  private answerWith(sql: string, opts: PromptOptions): string {
    return opts.chat ? `\`\`\`sql\n${sql}\n\`\`\`` : sql;
  }
}

/** The registered Spider benchmark. */
export const spiderBenchmark = new SpiderBenchmark();
