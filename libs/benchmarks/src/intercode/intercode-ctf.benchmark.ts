import {
  type AgentJudgement,
  type AgentProtocol,
  type Benchmark,
  type DatasetFiles,
  type Prompt,
  type SamplingDefaults,
  type ScoreResult,
} from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { oracleKey } from '../oracle/oracle-key';
import { INTERCODE_AGENT_SAMPLING, INTERCODE_BASH_ROOT, INTERCODE_BASH_TIMEOUT_MS } from './intercode.benchmark';
import { IntercodeCtfEpisode, intercodeCtfSubmittedFlag, isIntercodeCtfSubmit, parseIntercodeCtfAction } from './intercode-ctf-episode';
import { INTERCODE_CTF_BUDGET, INTERCODE_CTF_DEMOS, INTERCODE_CTF_PROMPT_TEMPLATE_HASH, intercodeCtfFirstMessages } from './intercode-ctf-prompt';
import { INTERCODE_CTF_DATASET, intercodeCtfUnrunnableReason, parseIntercodeCtfItems, type IntercodeCtfItem } from './intercode-ctf-tasks';

const FEEDBACK_SAMPLING: SamplingDefaults = { maxTokens: 0, temperature: 0, topP: 1, stop: [] };
const WRONG_FLAG = 'picoCTF{lemur_wrong_flag}';
// The query follows the demonstrations in the first user message; a query may hold newlines, so each line end is a candidate.
const QUERY_MARKER = `${INTERCODE_CTF_DEMOS}\nTask: `;
const MAX_QUERY_LINES = 6;

/** The task's folder in the session workspace (upstream: /ctf/<task_id> in the container). */
export function intercodeCtfTaskDir(item: Pick<IntercodeCtfItem, 'taskId'>): string {
  return `${INTERCODE_BASH_ROOT}/ctf/${item.taskId}`;
}

function requireRunnable(item: IntercodeCtfItem): void {
  const reason = intercodeCtfUnrunnableReason(item);
  if (reason === null) return;
  const code = item.needs === 'network' ? BenchmarkErrorCode.ENVIRONMENT_UNSUITABLE : BenchmarkErrorCode.DATASET_NOT_FOUND;
  throw new BenchmarkException(code, reason, { taskId: item.taskId, needs: item.needs, ...(item.remoteHost ? { remoteHost: item.remoteHost } : {}) });
}

/** CTF's reward: 1 when the submitted flag equals the gold, ignoring case (CTFEnv.get_reward). */
export function judgeIntercodeCtf(item: IntercodeCtfItem, action: string): AgentJudgement {
  const flag = intercodeCtfSubmittedFlag(action);
  const success = flag.toLowerCase() === item.gold.toLowerCase();
  return { success, reward: success ? 1 : 0, rewardText: success ? '1' : '0', reason: success ? 'the submitted flag is the gold flag' : `wrong flag: ${flag === '' ? '(none)' : flag}` };
}

/**
 * InterCode-CTF (`intercode-ctf@1.0.0`): 100 picoCTF tasks, `--template ctf`, 10 turns, dialogue limit 7, in a bash
 * session whose working directory is the task's folder; success is the right flag. Tasks that need their files or a
 * picoCTF server cannot run here (the files are not in the datasets folder; the sandbox has only loopback): their
 * samples end ERRORED with a message naming the missing directory and where it is published, never as a wrong answer.
 */
export class IntercodeCtfBenchmark implements Benchmark<IntercodeCtfItem> {
  readonly name = 'intercode-ctf';
  readonly version = '1.0.0';
  readonly metric = 'accuracy';
  readonly dataset = INTERCODE_CTF_DATASET;
  readonly sampling = INTERCODE_AGENT_SAMPLING;
  readonly promptTemplateHash = INTERCODE_CTF_PROMPT_TEMPLATE_HASH;
  readonly agent: AgentProtocol<IntercodeCtfItem> = {
    protocol: 'intercode',
    scoringRules: 'intercode-ctf-flag',
    budget: { maxSteps: INTERCODE_CTF_BUDGET.maxTurns, maxProposeSolution: INTERCODE_CTF_BUDGET.maxTurns },
    cellTimeoutMs: INTERCODE_BASH_TIMEOUT_MS,
    tools: [],
    feedbackSampling: FEEDBACK_SAMPLING,
    environment: 'bash',
    sessionSetup: (item) => {
      requireRunnable(item);
      const dir = intercodeCtfTaskDir(item);
      return [`mkdir -p ${dir}`, `cd ${dir}`, ...(item.setup ? [item.setup] : [])].join('\n');
    },
    startEpisode: (item) => {
      requireRunnable(item);
      return new IntercodeCtfEpisode(item.query);
    },
    // docker exec_run returns one stream; a command killed by the time limit reads as upstream's timeout text.
    formatExecution: (r) => (r.timedOut ? 'Command timed out' : `${r.stdout}${r.stderr}`),
    judge: (item, solution) => Promise.resolve(judgeIntercodeCtf(item, solution)),
  };

  parse(files: DatasetFiles): IntercodeCtfItem[] {
    return parseIntercodeCtfItems(files);
  }

  buildPrompt(item: IntercodeCtfItem): Prompt {
    return { kind: 'chat', messages: intercodeCtfFirstMessages(item.query) };
  }

  /** Judges a single reply as the first turn: a submission is checked, any other action has found no flag. */
  async score(item: IntercodeCtfItem, completion: string): Promise<ScoreResult> {
    const action = parseIntercodeCtfAction(completion);
    if (!isIntercodeCtfSubmit(action)) return { score: 0, passed: false, extracted: action, reason: 'the reply submits no flag' };
    const verdict = judgeIntercodeCtf(item, action);
    return { score: verdict.success ? 1 : 0, passed: verdict.success, extracted: action, reason: verdict.reason };
  }

  /** InterCode's action format for a found flag. */
  referenceCompletion(item: IntercodeCtfItem): string {
    return `submit ${item.gold}`;
  }

  wrongCompletion(): string {
    return `submit ${WRONG_FLAG}`;
  }

  oracleKeys(item: IntercodeCtfItem): string[] {
    return [`${this.name}:${oracleKey(item.query)}`];
  }

  oracleProbes(promptText: string): string[] {
    const at = promptText.indexOf(QUERY_MARKER);
    if (at < 0) return [];
    const rest = promptText.slice(at + QUERY_MARKER.length);
    const probes: string[] = [];
    for (let end = rest.indexOf('\n'), n = 0; end >= 0 && n < MAX_QUERY_LINES; end = rest.indexOf('\n', end + 1), n += 1) probes.push(rest.slice(0, end));
    probes.push(rest);
    return probes.map((q) => `${this.name}:${oracleKey(q)}`);
  }
}

/** The registered InterCode-CTF benchmark. */
export const intercodeCtfBenchmark = new IntercodeCtfBenchmark();
