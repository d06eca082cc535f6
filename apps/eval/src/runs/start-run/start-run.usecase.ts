import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { BenchmarkCatalog } from '../../benchmarks/benchmark-catalog';
import type { SampleQueue } from '../../queue/sample-queue';
import type { RunStore } from '../run-store';
import type { ChoiceScoringSpec, RunRecord, RunSpec } from '../run.types';
import type { StartRunCommand } from './start-run.command';

const MAX_SAMPLES_PER_ITEM = 200;
const MAX_CONCURRENCY = 1024;
const MAX_TOKENS = 32_768;
const MAX_SAMPLES_PER_RUN = 1_000_000;

/** Checks that a model name is routable; implemented by the inference client. */
export interface ModelDirectory {
  has(model: string): Promise<boolean>;
  names(): Promise<string[]>;
  /** True when the model is registered as chat-only (its endpoint serves no completions API to ask for logprobs). */
  chatOnly?(model: string): Promise<boolean>;
  /** The weights revision the model is registered with ('' when it has none). */
  revision?(model: string): Promise<string>;
}

/** What the sandbox serves, as a run start needs to know it (implemented over the sandbox's GetCapabilities). */
export interface SandboxDirectory {
  /** The MySQL databases SQL requests may name; empty when the sandbox has no MySQL server. */
  mysqlDatabases(): Promise<string[]>;
}

/** Validates a run request, plans it into samples, stores run + samples atomically, then queues the samples. */
export class StartRunUseCase {
  constructor(
    private readonly runs: RunStore,
    private readonly catalog: BenchmarkCatalog,
    private readonly models: ModelDirectory,
    private readonly queue: SampleQueue,
    private readonly logger: Logger,
    private readonly opts: {
      platformVersion: string;
      defaultConcurrency: number;
      environmentUrl?: string;
      sandbox?: SandboxDirectory;
      /** The name of the tool provider the workers give agent sessions (AgentToolProvider.name), for the manifest. */
      toolProvider?: string;
    },
  ) {}

  async execute(cmd: StartRunCommand): Promise<RunRecord> {
    this.validate(cmd);
    const benchmark = this.catalog.get(cmd.benchmark);
    if (!(await this.models.has(cmd.model))) {
      const known = await this.models.names();
      throw new PlatformError(PlatformErrorCode.MODEL_NOT_FOUND, `unknown model "${cmd.model}"; known models: ${known.join(', ') || '(none)'}`, {
        field: 'model',
      });
    }
    if (cmd.feedbackModel !== undefined) {
      if (benchmark.agent === undefined) throw PlatformError.invalid('feedbackModel', `${benchmark.name} is single-turn; only agent benchmarks (mint-*) take a feedback model`);
      if (!(await this.models.has(cmd.feedbackModel))) {
        throw new PlatformError(PlatformErrorCode.MODEL_NOT_FOUND, `unknown feedback model "${cmd.feedbackModel}"`, { field: 'feedbackModel' });
      }
    }
    const environmentServer = benchmark.agent?.environmentServer;
    if (environmentServer !== undefined && this.opts.environmentUrl === undefined) {
      throw PlatformError.invalid(
        'benchmark',
        `${benchmark.name} steps in an environment server and none is configured; start one and set LEMUR_ENVIRONMENT_URL (docs/environment-protocol.md)`,
      );
    }
    const { loaded, ref } = await this.catalog.load(cmd.benchmark);
    if (cmd.limit > loaded.items.length) {
      throw PlatformError.invalid('limit', `${benchmark.name} has ${loaded.items.length} items; limit must be at most that (0 = all)`);
    }
    const items = cmd.limit > 0 ? loaded.items.slice(0, cmd.limit) : loaded.items;
    const databases = benchmark.requiredMysqlDatabases?.(items) ?? [];
    if (databases.length > 0) await this.requireMysqlDatabases(benchmark.name, databases);
    const samplesPerItem = cmd.samplesPerItem || 1;
    if (items.length * samplesPerItem > MAX_SAMPLES_PER_RUN) {
      throw PlatformError.invalid('samples', `a run may have at most ${MAX_SAMPLES_PER_RUN} samples`);
    }
    // Other weights under the same name are another model: a comparison must be able to tell.
    const modelRevision = await this.models.revision?.(cmd.model);
    const spec: RunSpec = {
      benchmarkRef: ref,
      datasetFile: benchmark.dataset.name,
      datasetSha256: loaded.datasetSha256,
      datasetSource: loaded.source,
      promptTemplateHash: benchmark.promptTemplateHash,
      metric: benchmark.metric,
      sampling: {
        maxTokens: cmd.maxTokens ?? benchmark.sampling.maxTokens,
        temperature: cmd.temperature ?? benchmark.sampling.temperature,
        topP: cmd.topP ?? benchmark.sampling.topP,
        // Completion-style stop strings would cut a chat answer's fenced program (e.g. at "\ndef"); an agent
        // protocol's stop words end its turns, chat or not.
        stop: cmd.chat && benchmark.agent === undefined ? [] : benchmark.sampling.stop,
        ...(cmd.seed !== undefined ? { seed: cmd.seed } : {}),
      },
      platformVersion: this.opts.platformVersion,
      ...(modelRevision !== undefined ? { modelRevision } : {}),
      items: items.length,
      ...(benchmark.likelihood ? { choiceScoring: await this.choiceScoring(benchmark.likelihood, cmd) } : {}),
      ...(benchmark.agent
        ? {
            agent: {
              protocol: benchmark.agent.protocol,
              scoringRules: benchmark.agent.scoringRules,
              ...benchmark.agent.budget,
              cellTimeoutMs: benchmark.agent.cellTimeoutMs,
              tools: [...benchmark.agent.tools],
              ...(this.opts.toolProvider !== undefined ? { toolProvider: this.opts.toolProvider } : {}),
              ...(cmd.feedbackModel !== undefined ? { feedbackModel: cmd.feedbackModel } : {}),
              ...(environmentServer !== undefined ? { environment: { endpoint: this.opts.environmentUrl!, tools: environmentServer.tools.map((t) => t.name) } } : {}),
            },
          }
        : {}),
    };
    const teamId = await this.runs.ensureTeam(cmd.team);
    const { run, sampleIds } = await this.runs.createWithSamples({
      teamId,
      modelName: cmd.model,
      benchmark: benchmark.name,
      benchmarkVersion: benchmark.version,
      config: {
        limit: cmd.limit,
        samplesPerItem,
        concurrency: cmd.concurrency || this.opts.defaultConcurrency,
        chat: cmd.chat,
        ...(cmd.temperature !== undefined ? { temperature: cmd.temperature } : {}),
        ...(cmd.maxTokens !== undefined ? { maxTokens: cmd.maxTokens } : {}),
        ...(cmd.topP !== undefined ? { topP: cmd.topP } : {}),
        ...(cmd.seed !== undefined ? { seed: cmd.seed } : {}),
        ...(cmd.feedbackModel !== undefined ? { feedbackModel: cmd.feedbackModel } : {}),
      },
      spec,
      ...(cmd.scheduleId ? { scheduleId: cmd.scheduleId } : {}),
      ...(cmd.suiteRunId ? { suiteRunId: cmd.suiteRunId } : {}),
      samples: items.flatMap((item, itemIndex) => {
        const itemGroup = benchmark.group?.(item) ?? null;
        return Array.from({ length: samplesPerItem }, (_, sampleIndex) => ({ itemId: item.id, itemIndex, sampleIndex, itemGroup }));
      }),
    });
    try {
      await this.queue.enqueue(run.id, sampleIds);
    } catch (err) {
      // The run and its samples are stored; the workers' reconciler queues pending samples that have no job.
      this.logger.error({ err, runId: run.id }, 'queueing samples failed; the reconciler will queue them');
    }
    this.logger.info({ runId: run.id, model: cmd.model, benchmark: ref, samples: sampleIds.length }, 'run created');
    return run;
  }

  /** Log-probabilities unless the run or the model is chat-only (a chat endpoint is asked to generate instead). */
  private async choiceScoring(likelihood: { protocol: string; topLogprobs: number; maxTokens: number }, cmd: StartRunCommand): Promise<ChoiceScoringSpec> {
    if (cmd.chat) return { method: 'generation', reason: 'the run uses the chat API (chat option)' };
    if (await this.models.chatOnly?.(cmd.model)) return { method: 'generation', reason: `model "${cmd.model}" is registered chat-only` };
    return { method: 'logprobs', protocol: likelihood.protocol, topLogprobs: likelihood.topLogprobs, maxTokens: likelihood.maxTokens, fallback: 'generation' };
  }

  /** Refuses (SANDBOX_UNAVAILABLE) a run whose items need MySQL databases the sandbox does not serve. */
  private async requireMysqlDatabases(benchmark: string, needed: string[]): Promise<void> {
    if (this.opts.sandbox === undefined) return;
    let served: string[];
    try {
      served = await this.opts.sandbox.mysqlDatabases();
    } catch (err) {
      throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, `${benchmark} needs MySQL databases on the sandbox, and the sandbox could not be asked which it serves: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const have = new Set(served.map((d) => d.toLowerCase()));
    const missing = needed.filter((d) => !have.has(d.toLowerCase()));
    if (missing.length === 0) return;
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
    throw new PlatformError(
      PlatformErrorCode.SANDBOX_UNAVAILABLE,
      `${benchmark} needs ${needed.length} MySQL database(s) on the sandbox's MariaDB, and ${served.length === 0 ? 'the sandbox serves none (set SANDBOX_MYSQL_URL, and SANDBOX_MYSQL_DUMP to InterCode\'s ic_spider_dbs.sql, on the sandbox service)' : `it lacks ${shown}`}`,
    );
  }

  private validate(cmd: StartRunCommand): void {
    if (!cmd.team) throw PlatformError.invalid('team', 'is required');
    if (!cmd.model) throw PlatformError.invalid('model', 'is required');
    if (!cmd.benchmark) throw PlatformError.invalid('benchmark', 'is required');
    if (!Number.isInteger(cmd.limit) || cmd.limit < 0) throw PlatformError.invalid('limit', 'must be a whole number >= 0 (0 = all items)');
    if (!Number.isInteger(cmd.samplesPerItem) || cmd.samplesPerItem < 0 || cmd.samplesPerItem > MAX_SAMPLES_PER_ITEM) {
      throw PlatformError.invalid('samples', `must be between 1 and ${MAX_SAMPLES_PER_ITEM}`);
    }
    if (!Number.isInteger(cmd.concurrency) || cmd.concurrency < 0 || cmd.concurrency > MAX_CONCURRENCY) {
      throw PlatformError.invalid('concurrency', `must be between 1 and ${MAX_CONCURRENCY}`);
    }
    if (cmd.temperature !== undefined && !(cmd.temperature >= 0 && cmd.temperature <= 2)) {
      throw PlatformError.invalid('temperature', 'must be between 0 and 2');
    }
    if (cmd.maxTokens !== undefined && !(Number.isInteger(cmd.maxTokens) && cmd.maxTokens >= 1 && cmd.maxTokens <= MAX_TOKENS)) {
      throw PlatformError.invalid('maxTokens', `must be between 1 and ${MAX_TOKENS}`);
    }
    if (cmd.topP !== undefined && !(cmd.topP > 0 && cmd.topP <= 1)) throw PlatformError.invalid('topP', 'must be in (0, 1]');
    if (cmd.seed !== undefined && !Number.isSafeInteger(cmd.seed)) throw PlatformError.invalid('seed', 'must be an integer');
  }
}
