import { type AgentProtocol, type Benchmark, type DatasetFiles, type Prompt, type SamplingDefaults, type ScoreResult } from '../benchmark';
import { sha256Hex } from '../hash';
import { MINT_AGENT_SAMPLING, MINT_DEFAULT_BUDGET, MINT_FEEDBACK_SAMPLING, MINT_PROMPT_TEMPLATE_HASH } from '../mint/mint-prompt';
import { formatMintExecution, MINT_CELL_TIMEOUT_MS } from '../mint/mint.benchmark';
import { AlfworldEpisode, renderAlfworldFirstMessage } from './alfworld-episode';
import { ALFWORLD_DATASET, type AlfworldItem, parseAlfworldItems } from './alfworld-tasks';
import { ALFWORLD_EXAMPLES, ALFWORLD_EXAMPLES_WITH_FEEDBACK } from './alfworld-templates';
import { ALFWORLD_ENVIRONMENT_TOOLS } from './alfworld-tools';

/** Where the first turn shows the game's first observation when no environment server was asked (buildPrompt). */
const NO_OBSERVATION = '(the environment server supplies the room and the task when the episode starts)';

/**
 * MINT's ALFWorld task (`mint-alfworld@1.0.0`, 134 valid_unseen games, max5_p2+tool+cd): the session's eleven tool
 * functions send ALFWorld commands to an environment server, and an episode succeeds when a command reports `done`
 * (MINT's AlfworldEnv.check_task_success), whatever the proposed solution says.
 */
export class AlfworldBenchmark implements Benchmark<AlfworldItem> {
  readonly name = 'mint-alfworld';
  readonly version = '1.0.0';
  readonly metric = 'accuracy';
  readonly dataset = ALFWORLD_DATASET;
  readonly sampling: SamplingDefaults = MINT_AGENT_SAMPLING;
  readonly promptTemplateHash = sha256Hex(
    JSON.stringify({ templates: MINT_PROMPT_TEMPLATE_HASH, examples: ALFWORLD_EXAMPLES, feedback: ALFWORLD_EXAMPLES_WITH_FEEDBACK, tools: ALFWORLD_ENVIRONMENT_TOOLS, budget: MINT_DEFAULT_BUDGET }),
  );
  readonly agent: AgentProtocol<AlfworldItem> = {
    protocol: 'mint',
    scoringRules: 'published',
    budget: MINT_DEFAULT_BUDGET,
    cellTimeoutMs: MINT_CELL_TIMEOUT_MS,
    environment: 'python',
    // The tools come from the environment server's relay, not from the run's tool provider.
    tools: [],
    environmentServer: { tools: ALFWORLD_ENVIRONMENT_TOOLS, taskId: (item) => item.gamefile },
    feedbackSampling: MINT_FEEDBACK_SAMPLING,
    startEpisode: (item, opts) => {
      if (opts.observation === undefined) throw new Error(`${item.id}: an ALFWorld episode starts from the environment server's first observation`);
      if (opts.feedback) throw new Error('mint-alfworld does not support a feedback model yet');
      return new AlfworldEpisode(item, opts.observation, MINT_DEFAULT_BUDGET);
    },
    formatExecution: formatMintExecution,
    judge: () => Promise.reject(new Error('mint-alfworld is judged by its environment server, not by a judge step')),
  };

  parse(files: DatasetFiles): AlfworldItem[] {
    return parseAlfworldItems(files);
  }

  buildPrompt(item: AlfworldItem): Prompt {
    return { kind: 'chat', messages: [renderAlfworldFirstMessage(item, NO_OBSERVATION)] };
  }

  async score(): Promise<ScoreResult> {
    return { score: 0, passed: false, reason: 'an ALFWorld game is won in its environment; a single reply cannot be scored' };
  }

  referenceCompletion(): string {
    return '<thought> I have completed the task. </thought>\n<solution> done </solution>';
  }

  wrongCompletion(): string {
    return '<thought> I give up. </thought>\n<solution> done </solution>';
  }

  oracleKeys(item: AlfworldItem): string[] {
    return [`${this.name}:${item.gamefile}`];
  }

  oracleProbes(): string[] {
    return [];
  }
}

/** The registered ALFWorld benchmark. */
export const alfworldBenchmark = new AlfworldBenchmark();
