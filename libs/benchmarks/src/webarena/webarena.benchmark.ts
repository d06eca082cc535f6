import { type AgentProtocol, type Benchmark, type DatasetFiles, type Prompt, type SamplingDefaults, type ScoreResult } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { sha256Hex } from '../hash';
import { WEBARENA_LIMITS } from './webarena-early-stop';
import { WebarenaEpisode, webarenaUrl } from './webarena-episode';
import { renderWebarenaMessages, WEBARENA_ACTION_SPLITTER, WEBARENA_ANSWER_PHRASE, WEBARENA_EXAMPLES, WEBARENA_INTRO } from './webarena-prompt';
import { parseWebarenaTasks, WEBARENA_DATASET, WEBARENA_SITES, WEBARENA_TASK_FILE, WEBARENA_TASK_URL, webarenaRequirements, type WebarenaItem } from './webarena-tasks';

/** Where the first turn shows the page when no environment server was asked (buildPrompt). */
const NO_PAGE = '(the environment server supplies the page when the episode starts)';

/**
 * WebArena (`webarena@1.0.0`) as Lemur-70B-Chat was run on it: OpenLemur/webarena's `--setting codegen` agent with
 * p_codegen_cot_id_actree_2s_lemur (actions written as Python calls), run.py's defaults (30 steps, early stop after 3
 * unparseable answers or 3 repeated actions, temperature 1.0, top_p 0.9, 384 tokens). Each action goes to a WebArena
 * environment server as a /step command and the server's evaluators give the verdict. The task file and the six sites
 * are not in the datasets directory, so loading the benchmark fails with DATASET_NOT_FOUND naming each of them.
 */
export class WebarenaBenchmark implements Benchmark<WebarenaItem> {
  readonly name = 'webarena';
  readonly version = '1.0.0';
  readonly metric = 'accuracy';
  readonly dataset = WEBARENA_DATASET;
  // run.py's defaults; the chat call sends no stop token.
  readonly sampling: SamplingDefaults = { maxTokens: 384, temperature: 1.0, topP: 0.9, stop: [] };
  readonly promptTemplateHash = sha256Hex(
    JSON.stringify({ intro: WEBARENA_INTRO, examples: WEBARENA_EXAMPLES, answerPhrase: WEBARENA_ANSWER_PHRASE, splitter: WEBARENA_ACTION_SPLITTER, limits: WEBARENA_LIMITS }),
  );
  readonly agent: AgentProtocol<WebarenaItem> = {
    protocol: 'webarena',
    scoringRules: 'environment-evaluators',
    // The budget in the platform's terms: 30 actions, one final answer (the stop).
    budget: { maxSteps: WEBARENA_LIMITS.maxSteps, maxProposeSolution: 1 },
    // No code cells: every action is an environment step.
    cellTimeoutMs: 60_000,
    environment: 'none',
    tools: [],
    environmentServer: { tools: [], taskId: (item) => item.taskId },
    feedbackSampling: { maxTokens: 1024, temperature: 0, topP: 1, stop: [] },
    startEpisode: (item, opts) => {
      if (opts.feedback) throw new Error('webarena has no feedback mode');
      if (opts.observation === undefined) throw new Error(`${item.id}: a WebArena episode starts from the environment server's first page`);
      return new WebarenaEpisode(item, { observation: opts.observation, url: webarenaUrl(opts.info, '/reset answer') });
    },
    formatExecution: (r) => `${r.stdout}${r.stderr}`,
    judge: () => Promise.reject(new Error('webarena is judged by its environment server, not by a judge step')),
  };

  /** The task file once a verified copy is pinned in `dataset.files`; until then DATASET_NOT_FOUND names what is needed. */
  parse(files: DatasetFiles): WebarenaItem[] {
    if (!files.has(WEBARENA_TASK_FILE)) {
      throw new BenchmarkException(BenchmarkErrorCode.DATASET_NOT_FOUND, webarenaRequirements(), {
        file: WEBARENA_TASK_FILE,
        url: WEBARENA_TASK_URL,
        sites: WEBARENA_SITES.map((s) => s.env),
      });
    }
    return parseWebarenaTasks(files);
  }

  buildPrompt(item: WebarenaItem): Prompt {
    return { kind: 'chat', messages: renderWebarenaMessages({ observation: NO_PAGE, url: '', objective: item.intent, previousAction: 'None' }) };
  }

  async score(): Promise<ScoreResult> {
    return { score: 0, passed: false, reason: "a WebArena task is judged by its environment server's evaluators; a single reply cannot be scored" };
  }

  referenceCompletion(): string {
    throw new Error('webarena has no reference reply: its verdict depends on the sites, so only an environment server can tell');
  }

  wrongCompletion(): string {
    throw new Error('webarena has no known-wrong reply: its verdict depends on the sites, so only an environment server can tell');
  }

  oracleKeys(item: WebarenaItem): string[] {
    return [`${this.name}:${item.taskId}`];
  }

  oracleProbes(): string[] {
    return [];
  }
}

/** The registered WebArena benchmark. */
export const webarenaBenchmark = new WebarenaBenchmark();
