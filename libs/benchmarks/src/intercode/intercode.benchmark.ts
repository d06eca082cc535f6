import { randomBytes } from 'node:crypto';
import {
  type AgentJudgeContext,
  type AgentJudgement,
  type AgentProtocol,
  type Benchmark,
  type CodeExecutor,
  type DatasetFiles,
  type ExecutionResult,
  type Prompt,
  type SamplingDefaults,
  type ScoreResult,
} from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { sha256Hex } from '../hash';
import {
  INTERCODE_BASH_COMPARED_ROOTS,
  INTERCODE_BASH_GITIGNORED_NAMES,
  INTERCODE_BASH_NO_SCRATCH_MARK,
  INTERCODE_BASH_SCRATCH_DIRS,
  intercodeBashSetupScript,
} from './intercode-bash-filesystems';
import { fsChanges, fsSnapshotScript, intercodeBashReward, parseFsSnapshot, sameContent, type FsSnapshot } from './intercode-bash-reward';
import { IntercodeEpisode } from './intercode-episode';
import { parseIntercodeBashAction, parseIntercodeSqlAction, postProcessLemurReply } from './intercode-parsers';
import {
  INTERCODE_BUDGETS,
  INTERCODE_OBSERVATION_CHARS,
  INTERCODE_OBSERVATION_ROWS,
  INTERCODE_PROMPT_TEMPLATE_HASH,
  intercodeFirstMessages,
  type IntercodeEnvName,
} from './intercode-prompt';
import { pyNumberRepr, pyRowsRepr, pyStrip, type PyCell } from './intercode-python';
import { intercodeSqlReward } from './intercode-sql-reward';
import {
  INTERCODE_BASH_DATASET,
  INTERCODE_SQL_DATASET,
  parseIntercodeBashItems,
  parseIntercodeSqlItems,
  type IntercodeBashItem,
  type IntercodeSqlItem,
} from './intercode-tasks';

/**
 * OpenLemur/intercode's HF-chat policy for Lemur: TGI with max_new_tokens 512, temperature 0.01 (open_api.py) and the
 * Lemur stop sequences (policies.py); our runs use greedy 0.0, the nearest an OpenAI-compatible endpoint offers.
 */
export const INTERCODE_AGENT_SAMPLING: SamplingDefaults = {
  maxTokens: 512,
  temperature: 0,
  topP: 1,
  stop: ['<|im_start|>', '<|im_end|>', 'Observation:', 'Task:', 'Output:'],
};

/** A SQL statement's time limit (upstream has none; a Spider query runs in milliseconds). */
export const INTERCODE_SQL_TIMEOUT_MS = 30_000;
/** A bash action's time limit in the episode's shell and for the gold run. */
export const INTERCODE_BASH_TIMEOUT_MS = 30_000;
// Enough for every Spider dev gold result, so the reward compares whole results.
const SQL_MAX_ROWS = 100_000;

/** The sandbox workspace: where InterCode-CTF's task folders live. */
export const INTERCODE_BASH_ROOT = '/workspace';

/** What a model answers when it gives up, in both environments: a command whose output no gold shares. */
const WRONG_MARKER = 'lemur-wrong-answer';

const FEEDBACK_SAMPLING: SamplingDefaults = { maxTokens: 0, temperature: 0, topP: 1, stop: [] };

const QUERY_OPEN = 'Query: "';
const QUERY_CLOSE = '".\nDo not generate any output or reward.\n';
const MAX_PROBES = 4;

/** The queries a conversation could carry: after each 'Query: "' up to the closing '".\nDo not generate…'. */
export function intercodeQueryProbes(text: string): string[] {
  const probes: string[] = [];
  let from = 0;
  for (let i = 0; i < MAX_PROBES; i += 1) {
    const at = text.indexOf(QUERY_OPEN, from);
    if (at < 0) break;
    const end = text.indexOf(QUERY_CLOSE, at + QUERY_OPEN.length);
    if (end < 0) break;
    probes.push(text.slice(at + QUERY_OPEN.length, end));
    from = at + QUERY_OPEN.length;
  }
  return probes;
}

interface SqlRun {
  rows: PyCell[][] | null;
  /** mysql.connector's err.msg, when the statement failed. */
  error: string | null;
  result: ExecutionResult;
}

/** Runs one statement on the item's database; the sandbox's own failures (no MySQL) throw as platform errors. */
async function runSql(executor: CodeExecutor, db: string, sql: string): Promise<SqlRun> {
  const result = await executor.execute({ language: 'sql', code: sql, timeoutMs: INTERCODE_SQL_TIMEOUT_MS, database: { kind: 'mysql', name: db, maxRows: SQL_MAX_ROWS } });
  if (result.exitCode !== 0) {
    const line = pyStrip(result.stderr || result.stdout);
    // "ERROR 1146 (42S02): Table 'x.y' doesn't exist" → the message alone, as mysql.connector's err.msg has it.
    return { rows: null, error: line.replace(/^ERROR(?: \d+ \([0-9A-Z]{5}\))?: /, ''), result };
  }
  let parsed: { columns?: unknown; rows?: unknown };
  try {
    parsed = JSON.parse(result.stdout) as { columns?: unknown; rows?: unknown };
  } catch {
    return { rows: null, error: `unreadable result: ${result.stdout.slice(0, 200)}`, result };
  }
  // A statement without a result set (cursor.description is None) has no rows to compare.
  if (!Array.isArray(parsed.columns) || parsed.columns.length === 0 || !Array.isArray(parsed.rows)) return { rows: null, error: null, result };
  return { rows: parsed.rows as PyCell[][], error: null, result };
}

/** `str()` of the reward as the model is shown it: 1 (both empty, an int), 0.0, 0.5, 0.33. */
function rewardText(reward: number, int: boolean): string {
  return int ? String(reward) : pyNumberRepr(reward, false);
}

const checkedServers = new WeakMap<CodeExecutor, true>();

/**
 * InterCode's MySQL runs with --lower_case_table_names=1 (docker/sql-docker-compose.yml): Spider's golds name tables and
 * aliases in any case, and on a server comparing them by case 165 of the 1,034 golds fail. Such a server would score
 * every model wrongly, so the judge refuses it (checked once per executor while it passes).
 */
async function requireCaseInsensitiveNames(executor: CodeExecutor, db: string): Promise<void> {
  if (checkedServers.has(executor)) return;
  const probe = await runSql(executor, db, 'SELECT @@lower_case_table_names');
  const value = probe.rows?.[0]?.[0];
  if (value === undefined || value === null) return;
  if (Number(value) === 0) {
    throw new BenchmarkException(
      BenchmarkErrorCode.ENVIRONMENT_UNSUITABLE,
      "InterCode-SQL needs the sandbox's MySQL/MariaDB started with --lower_case_table_names=1 (as InterCode's own server); this one compares table names by case, which fails 165 Spider gold queries: restart it with that setting and load the Spider dump again",
      { lowerCaseTableNames: value },
    );
  }
  checkedServers.set(executor, true);
}

/** Judges one SQL action (submit after every action): the agent's and the gold query's results on the item's database. */
export async function judgeIntercodeSql(item: IntercodeSqlItem, action: string, ctx: { executor: CodeExecutor }): Promise<AgentJudgement> {
  await requireCaseInsensitiveNames(ctx.executor, item.db);
  const agent = await runSql(ctx.executor, item.db, action);
  const gold = await runSql(ctx.executor, item.db, item.gold);
  // A gold query that fails leaves an empty gold result upstream (its error is overwritten with []).
  const reward = intercodeSqlReward(agent.rows, gold.rows ?? []);
  let observation: string;
  if (agent.error !== null) observation = `Error executing query: ${agent.error}`.slice(0, INTERCODE_OBSERVATION_CHARS);
  else if (agent.rows === null) observation = 'None';
  else observation = agent.rows.length === 0 ? '' : pyRowsRepr(agent.rows.slice(0, INTERCODE_OBSERVATION_ROWS));
  const success = reward.reward === 1;
  const parts = [`reward ${rewardText(reward.reward, reward.int)}`];
  if (agent.error !== null) parts.push(`the query failed: ${agent.error}`);
  else if (agent.rows === null) parts.push('the statement returned no result set');
  else parts.push(`${agent.rows.length} rows vs ${gold.rows?.length ?? 0} gold rows, IoU ${pyNumberRepr(reward.iou, false)}`);
  if (gold.error !== null) parts.push(`the gold query failed: ${gold.error}`);
  if (reward.sortCorrelation !== null && reward.sortCorrelation !== 1) parts.push(`sort correlation ${reward.sortCorrelation.toFixed(3)}`);
  return { success, reason: parts.join('; '), observation, reward: reward.reward, rewardText: rewardText(reward.reward, reward.int), execution: agent.result };
}

/**
 * A fresh sandbox run of `setup` (which also sets the working directory) then `command` as `/bin/bash -c`, with the
 * state of the compared trees before and after. A sandbox without InterCode-Bash's scratch directories cannot hold
 * the tasks' file systems, so the run is refused rather than scored on a file system the tasks were not written for.
 */
export async function runBashFresh(
  executor: CodeExecutor,
  setup: string,
  command: string,
): Promise<{ before: FsSnapshot; after: FsSnapshot; output: string; result: ExecutionResult }> {
  const token = randomBytes(8).toString('hex');
  const mark = `LEMUR_IC_${token}`;
  const program = [
    setup,
    fsSnapshotScript(INTERCODE_BASH_COMPARED_ROOTS),
    `printf '%s\\n' '${mark}'`,
    `__lemur_action=$(cat <<'${mark}_EOF'`,
    command,
    `${mark}_EOF`,
    ')',
    `/bin/bash -c "$__lemur_action" 2>&1 </dev/null`,
    `printf '\\n%s\\n' '${mark}'`,
    fsSnapshotScript(INTERCODE_BASH_COMPARED_ROOTS),
  ].join('\n');
  const result = await executor.execute({ language: 'bash', code: program, timeoutMs: INTERCODE_BASH_TIMEOUT_MS });
  const [before = '', middle = '', after = ''] = result.stdout.split(`${mark}\n`);
  if (before.includes(INTERCODE_BASH_NO_SCRATCH_MARK)) {
    throw new BenchmarkException(
      BenchmarkErrorCode.ENVIRONMENT_UNSUITABLE,
      `InterCode-Bash needs writable scratch directories at ${INTERCODE_BASH_SCRATCH_DIRS.join(', ')} in every sandbox (the tasks' file systems live there); start the sandbox with SANDBOX_SCRATCH_DIRS=${INTERCODE_BASH_SCRATCH_DIRS.join(',')}`,
      { scratchDirs: INTERCODE_BASH_SCRATCH_DIRS.join(',') },
    );
  }
  const output = result.timedOut ? 'Command timed out' : middle.endsWith('\n') ? middle.slice(0, -1) : middle;
  return { before: parseFsSnapshot(before), after: parseFsSnapshot(after), output, result };
}

/**
 * Judges one Bash action: the gold command runs in a fresh sandbox set up with the task's file system; the reward
 * compares the changes of the two (as `git status` at / would list them), the content of the changes both made, and
 * the outputs. In an episode the agent's state is read from its own shell; alone (`score`), its command runs in a
 * fresh sandbox too.
 */
export async function judgeIntercodeBash(item: IntercodeBashItem, action: string, ctx: AgentJudgeContext): Promise<AgentJudgement> {
  const setup = intercodeBashSetupScript(item.fileSystem);
  const gold = await runBashFresh(ctx.executor, setup, item.gold);
  let agentNow: FsSnapshot;
  let agentOutput: string;
  let execution: ExecutionResult | undefined;
  if (ctx.session !== undefined) {
    const snap = await ctx.session.run(fsSnapshotScript(INTERCODE_BASH_COMPARED_ROOTS));
    agentNow = parseFsSnapshot(snap.stdout);
    agentOutput = ctx.observation ?? '';
  } else {
    const agent = await runBashFresh(ctx.executor, setup, action);
    agentNow = agent.after;
    agentOutput = agent.output;
    execution = agent.result;
  }
  const agentChanges = fsChanges(gold.before, agentNow, INTERCODE_BASH_GITIGNORED_NAMES);
  const goldChanges = fsChanges(gold.before, gold.after, INTERCODE_BASH_GITIGNORED_NAMES);
  const r = intercodeBashReward({
    agentChanges,
    goldChanges,
    contentMatches: (path) => sameContent(agentNow, gold.after, path),
    agentOutput,
    goldOutput: gold.output,
  });
  const success = r.reward === 1;
  const reason =
    `reward ${pyNumberRepr(r.reward, false)} (file diff ${r.fileDiff}, file changes ${r.fileChanges}, output ${r.answerSimilarity})` +
    (r.diffMiss.length ? `; missing changes: ${r.diffMiss.join(', ')}` : '') +
    (r.diffExtra.length ? `; extra changes: ${r.diffExtra.join(', ')}` : '');
  return {
    success,
    reason,
    observation: agentOutput,
    reward: r.reward,
    rewardText: pyNumberRepr(r.reward, false),
    ...(execution ? { execution } : {}),
  };
}

abstract class IntercodeBenchmark<I extends { id: string; query: string }> implements Benchmark<I> {
  abstract readonly name: string;
  readonly version: string = '1.0.0';
  readonly metric = 'accuracy';
  readonly sampling = INTERCODE_AGENT_SAMPLING;
  readonly promptTemplateHash: string;
  abstract readonly dataset: Benchmark<I>['dataset'];
  abstract readonly agent: AgentProtocol<I>;

  protected constructor(protected readonly env: IntercodeEnvName) {
    this.promptTemplateHash = sha256Hex(JSON.stringify({ templates: INTERCODE_PROMPT_TEMPLATE_HASH, env }));
  }

  abstract parse(files: DatasetFiles): I[];
  abstract referenceCompletion(item: I): string;
  abstract oracleKeys(item: I): string[];
  protected abstract tables(item: I): Record<string, string[]> | undefined;
  protected abstract judgeAlone(item: I, action: string, executor: CodeExecutor): Promise<AgentJudgement>;

  buildPrompt(item: I): Prompt {
    return { kind: 'chat', messages: intercodeFirstMessages(this.env, item.query, this.tables(item)) };
  }

  /** Judges a single reply as the first turn of an episode: its action, submitted at once. */
  async score(item: I, completion: string, ctx: { executor: CodeExecutor }): Promise<ScoreResult> {
    const reply = postProcessLemurReply(completion);
    const parsed = this.env === 'sql' ? parseIntercodeSqlAction(reply) : parseIntercodeBashAction(reply);
    if (parsed.kind === 'blocked') return { score: 0, passed: false, reason: `the reply could not be parsed: ${parsed.error}` };
    if (!parsed.isCode) return { score: 0, passed: false, extracted: parsed.action, reason: `no ${this.env.toUpperCase()} code in the reply` };
    const verdict = await this.judgeAlone(item, parsed.action, ctx.executor);
    return {
      score: verdict.success ? 1 : 0,
      passed: verdict.success,
      extracted: parsed.action,
      reason: verdict.reason,
      ...(verdict.execution ? { execution: verdict.execution } : {}),
    };
  }

  wrongCompletion(): string {
    return this.env === 'sql' ? `\`\`\`sql\nSELECT '${WRONG_MARKER}'\n\`\`\`` : `echo ${WRONG_MARKER}`;
  }

  oracleProbes(promptText: string): string[] {
    return intercodeQueryProbes(promptText).map((q) => `${this.name}:${q}`);
  }
}

/** InterCode-SQL (`intercode-sql@1.0.0`): Spider dev on MySQL/MariaDB, game_sql template with the schema handicap, 10 turns. */
export class IntercodeSqlBenchmark extends IntercodeBenchmark<IntercodeSqlItem> {
  readonly name = 'intercode-sql';
  readonly dataset = INTERCODE_SQL_DATASET;
  readonly agent: AgentProtocol<IntercodeSqlItem>;

  constructor() {
    super('sql');
    this.agent = {
      protocol: 'intercode',
      scoringRules: 'intercode-sql-reward',
      budget: { maxSteps: INTERCODE_BUDGETS.sql.maxTurns, maxProposeSolution: INTERCODE_BUDGETS.sql.maxTurns },
      cellTimeoutMs: INTERCODE_SQL_TIMEOUT_MS,
      tools: [],
      feedbackSampling: FEEDBACK_SAMPLING,
      environment: 'none',
      startEpisode: (item) => new IntercodeEpisode('sql', { query: item.query, tables: item.tables }, INTERCODE_BUDGETS.sql),
      formatExecution: (r) => `${r.stdout}${r.stderr}`,
      judge: (item, solution, ctx) => judgeIntercodeSql(item, solution, ctx),
    };
  }

  parse(files: DatasetFiles): IntercodeSqlItem[] {
    return parseIntercodeSqlItems(files);
  }

  protected tables(item: IntercodeSqlItem): Record<string, string[]> {
    return item.tables;
  }

  protected judgeAlone(item: IntercodeSqlItem, action: string, executor: CodeExecutor): Promise<AgentJudgement> {
    return judgeIntercodeSql(item, action, { executor });
  }

  /**
   * The gold query, unfenced when the parser gives it back verbatim but for its final ";" (a fence would flatten its
   * whitespace), else fenced.
   */
  referenceCompletion(item: IntercodeSqlItem): string {
    const plain = parseIntercodeSqlAction(item.gold);
    const statement = item.gold.replace(/;\s*$/, '');
    return plain.kind === 'action' && plain.isCode && plain.action === statement ? item.gold : `\`\`\`sql\n${item.gold}\n\`\`\``;
  }

  /** Each item runs against its Spider database on the sandbox's MariaDB. */
  requiredMysqlDatabases(items: readonly IntercodeSqlItem[]): string[] {
    return [...new Set(items.map((i) => i.db))].sort();
  }

  /** The Spider question's hardness (easy, medium, hard, extra), as Spider reports results. */
  group(item: IntercodeSqlItem): string {
    return item.hardness;
  }

  oracleKeys(item: IntercodeSqlItem): string[] {
    return [`${this.name}:${item.query}`];
  }
}

/**
 * InterCode-Bash (`intercode-bash@1.1.0`): NL2Bash's 200 tasks, template v2, 10 turns, gold compared in a fresh sandbox.
 * Each task's session and every fresh sandbox of the judge first run its file system's set-up (upstream's
 * setup_nl2b_fs_{1..4}.sh, see intercode-bash-filesystems.ts) in the sandbox's scratch directories (/testbed, /system,
 * /backup: SANDBOX_SCRATCH_DIRS), and the changes under those, /tmp and /workspace are compared as upstream's
 * `git status` at / lists them. Where it still differs from upstream (scoring rules `intercode-bash-reward/upstream-fs`):
 * the sandbox's root is read-only, so files directly in / (upstream's /index.html, /.placeholder, and anything a
 * command writes there) cannot exist; every scratch directory exists in every variant (empty where its image has none);
 * mtimes are pinned to a fixed build instant; and upstream runs every action as a fresh `/bin/bash -c` (only `cd`
 * carries over) where the session shell here keeps variables too.
 */
export class IntercodeBashBenchmark extends IntercodeBenchmark<IntercodeBashItem> {
  readonly name = 'intercode-bash';
  // 1.1.0: the tasks run on upstream's file systems (1.0.0 ran them in an empty workspace).
  override readonly version = '1.1.0';
  readonly dataset = INTERCODE_BASH_DATASET;
  readonly agent: AgentProtocol<IntercodeBashItem>;

  constructor() {
    super('bash');
    this.agent = {
      protocol: 'intercode',
      // Recorded with every run: upstream's four file systems rebuilt in the sandbox's scratch directories.
      scoringRules: 'intercode-bash-reward/upstream-fs',
      budget: { maxSteps: INTERCODE_BUDGETS.bash.maxTurns, maxProposeSolution: INTERCODE_BUDGETS.bash.maxTurns },
      cellTimeoutMs: INTERCODE_BASH_TIMEOUT_MS,
      tools: [],
      feedbackSampling: FEEDBACK_SAMPLING,
      environment: 'bash',
      sessionSetup: (item) => intercodeBashSetupScript(item.fileSystem),
      startEpisode: (item) => new IntercodeEpisode('bash', { query: item.query }, INTERCODE_BUDGETS.bash),
      // docker exec_run returns one stream; a command killed by the time limit reads as upstream's timeout text.
      formatExecution: (r) => (r.timedOut ? 'Command timed out' : `${r.stdout}${r.stderr}`),
      judge: (item, solution, ctx) => judgeIntercodeBash(item, solution, ctx),
    };
  }

  parse(files: DatasetFiles): IntercodeBashItem[] {
    return parseIntercodeBashItems(files);
  }

  protected tables(): undefined {
    return undefined;
  }

  protected judgeAlone(item: IntercodeBashItem, action: string, executor: CodeExecutor): Promise<AgentJudgement> {
    return judgeIntercodeBash(item, action, { executor });
  }

  /** The gold command as written: outside a fence the parser keeps it verbatim (inside one it is lower-cased). */
  referenceCompletion(item: IntercodeBashItem): string {
    return item.gold;
  }

  oracleKeys(item: IntercodeBashItem): string[] {
    return [`${this.name}:${item.query}`];
  }
}

/** The registered InterCode benchmarks. */
export const intercodeSqlBenchmark = new IntercodeSqlBenchmark();
export const intercodeBashBenchmark = new IntercodeBashBenchmark();
