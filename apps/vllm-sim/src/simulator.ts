import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { type AnswerMode, type AnswerPolicy } from './answers/answer-policy';
import { BenchmarkAnswerPolicy, type OracleLookup } from './answers/benchmark-answer.policy';
import { loadOracleIndex } from './answers/benchmark-oracle.loader';
import { EchoAnswerPolicy } from './answers/echo-answer.policy';
import { loadReplayEpisodes, ReplayAnswerPolicy } from './answers/replay-answer.policy';
import { parseScriptedRules, ScriptedAnswerPolicy, type ScriptedRule } from './answers/scripted-answer.policy';
import { PrefixCache } from './cache/prefix-cache';
import { FaultInjector, NO_FAULTS, type FaultConfig } from './faults/fault-injector';
import { VllmMetrics } from './metrics/vllm.metrics';
import { DEFAULT_MAX_LOGPROBS } from './openai/generation-request';
import { SeqScheduler } from './scheduling/seq-scheduler';
import { DEFAULT_TIME_MODEL, FAST_TIME_MODEL, type TimeModelConfig } from './scheduling/time-model';
import { buildSimulatorServer } from './server/simulator.server';

/** A served model name and how it answers. */
export type SimulatorModel =
  | { name: string; mode: 'echo' | 'oracle' | 'wrong' }
  | {
      name: string;
      mode: 'scripted';
      /** JSONL rules file; read at start-up, a bad line fails start-up with its number. */
      rulesFile?: string;
      /** Rules given directly (used instead of, or before, the file's rules). */
      rules?: ScriptedRule[];
      /** Answer when no rule matches; empty by default. */
      defaultCompletion?: string;
    }
  /** Answers MINT conversations with a published run's turns (see ReplayAnswerPolicy). */
  | { name: string; mode: 'replay'; runDir: string }
  | { name: string; policy: AnswerPolicy };

/** Options of one simulator; everything but `models` has a small default. */
export interface SimulatorOptions {
  models: SimulatorModel[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Context length reported and enforced; default 4096. */
  maxModelLen?: number;
  /** Most log-probability alternatives a completions request may ask for; default 20 (vLLM's --max-logprobs). */
  maxLogprobs?: number;
  /** Requests decoding at once; the rest wait FIFO. Default 64 (vLLM's --max-num-seqs). */
  maxConcurrentSeqs?: number;
  /** Tokens per KV-cache block; default 16 (vLLM's default). */
  blockSize?: number;
  /**
   * KV-cache capacity in blocks: running requests hold blocks for their prompt and output, and a request that does not
   * fit waits (`vllm:num_requests_waiting`). Default `kvCacheTokens` / blockSize.
   */
  kvCacheBlocks?: number;
  /** KV-cache capacity in tokens, used when `kvCacheBlocks` is not given; default maxModelLen × maxConcurrentSeqs / 4. */
  kvCacheTokens?: number;
  /** Blocks the prefix cache keeps (LRU); 0 disables prefix caching. Default: the KV-cache capacity. */
  prefixCacheBlocks?: number;
  /** Zero latency (overrides timeModel). */
  fast?: boolean;
  timeModel?: Partial<TimeModelConfig>;
  faults?: Partial<FaultConfig>;
  /** Where oracle/wrong modes read benchmark data; default /work/shared/datasets. */
  datasetsDir?: string;
  /** An oracle index to use instead of loading benchmark data (tests). */
  oracleIndex?: OracleLookup;
  /** Largest accepted request body; default 8 MiB. */
  bodyLimitBytes?: number;
  /** Default: silent. */
  logger?: Logger;
  /** What the crash fault does after the server has dropped its connections; the CLI exits the process. */
  onCrash?: () => void;
}

/** A running simulator. */
export interface RunningSimulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (the OpenAI base URL is `${url}/v1`). */
  url: string;
  close(): Promise<void>;
}

/** Default datasets folder: `shared/datasets` beside the checkout (the project machines' layout). */
export const DEFAULT_DATASETS_DIR = resolve(__dirname, '../../../../shared/datasets');

function needsOracle(models: readonly SimulatorModel[]): boolean {
  return models.some((model) => 'mode' in model && (model.mode === 'oracle' || model.mode === 'wrong'));
}

async function buildPolicies(options: SimulatorOptions, logger: Logger): Promise<Map<string, AnswerPolicy>> {
  let oracle = options.oracleIndex;
  if (!oracle && needsOracle(options.models)) {
    const datasetsDir = options.datasetsDir ?? DEFAULT_DATASETS_DIR;
    const loaded = await loadOracleIndex(datasetsDir);
    // Only a problem is worth a line of its own; start-up otherwise prints just the listening line.
    const level = loaded.skipped.length > 0 ? 'warn' : 'debug';
    logger[level]({ datasetsDir, loaded: loaded.loaded, skipped: loaded.skipped }, 'oracle index loaded');
    oracle = loaded.index;
  }
  const policies = new Map<string, AnswerPolicy>();
  for (const model of options.models) {
    if (policies.has(model.name)) throw new Error(`model "${model.name}" is configured twice; give each model a unique name`);
    policies.set(model.name, await policyFor(model, oracle));
  }
  return policies;
}

async function policyFor(model: SimulatorModel, oracle: OracleLookup | undefined): Promise<AnswerPolicy> {
  if ('policy' in model) return model.policy;
  const mode: AnswerMode = model.mode;
  switch (model.mode) {
    case 'echo':
      return new EchoAnswerPolicy();
    case 'scripted': {
      const fromFile = model.rulesFile ? parseScriptedRules(await readFile(model.rulesFile, 'utf8'), model.rulesFile) : [];
      return new ScriptedAnswerPolicy([...(model.rules ?? []), ...fromFile], model.defaultCompletion ?? '');
    }
    case 'replay':
      return new ReplayAnswerPolicy(loadReplayEpisodes(model.runDir));
    case 'oracle':
    case 'wrong':
      if (!oracle) throw new Error(`model "${model.name}" needs benchmark data for mode ${mode}`);
      return new BenchmarkAnswerPolicy(oracle, model.mode);
    default: {
      const unknownMode: never = model;
      throw new Error(`unknown answer mode ${String(unknownMode)}`);
    }
  }
}

/** Starts a simulated vLLM server; resolves once it listens (answer policies and benchmark data loaded). */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  if (options.models.length === 0) throw new Error('no models configured; pass at least one model (e.g. --model sim=echo)');
  const logger = options.logger ?? pino({ level: 'silent' });
  const maxModelLen = options.maxModelLen ?? 4096;
  const maxConcurrentSeqs = options.maxConcurrentSeqs ?? 64;
  const timeModel = options.fast ? FAST_TIME_MODEL : { ...DEFAULT_TIME_MODEL, ...options.timeModel };
  const blockSize = options.blockSize ?? 16;
  const kvCacheTokens = options.kvCacheTokens ?? Math.max(1, Math.floor((maxModelLen * maxConcurrentSeqs) / 4));
  const kvCapacityBlocks = options.kvCacheBlocks ?? Math.max(1, Math.ceil(kvCacheTokens / blockSize));
  const prefixCache = new PrefixCache(blockSize, options.prefixCacheBlocks ?? kvCapacityBlocks);
  const scheduler = new SeqScheduler(maxConcurrentSeqs, kvCapacityBlocks);
  const faults = new FaultInjector({ ...NO_FAULTS, ...options.faults });
  const models = await buildPolicies(options, logger);
  const metrics = new VllmMetrics([...models.keys()], () => scheduler.snapshot(), {
    blockSize,
    kvCapacityBlocks,
    prefixCaching: prefixCache.capacityBlocks > 0,
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= app.close();
    return closing;
  };
  const app = buildSimulatorServer({
    models,
    engine: { scheduler, timeModel, metrics, prefixCache, now: () => performance.now() },
    faults,
    maxModelLen,
    maxLogprobs: options.maxLogprobs ?? DEFAULT_MAX_LOGPROBS,
    bodyLimitBytes: options.bodyLimitBytes ?? 8 * 1024 * 1024,
    logger,
    crash: () => {
      // A crashed pod drops every connection at once, in-flight streams included.
      app.server.closeAllConnections();
      void close().then(() => options.onCrash?.());
    },
  });
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { url: address, close };
}
