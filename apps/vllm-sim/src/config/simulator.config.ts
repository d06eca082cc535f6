import { parseArgs } from 'node:util';
import { ANSWER_MODES, type AnswerMode } from '../answers/answer-policy';
import { type SimulatorModel, type SimulatorOptions } from '../simulator';

/** A flag or variable that cannot be used; the message says what to change. */
export class SimulatorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorConfigError';
  }
}

/** What `main.ts` runs with. */
export interface SimulatorCliConfig {
  help: boolean;
  logLevel: string;
  /** Set by a launcher (`lemur up`): exit when that process is gone. */
  parentPid?: number;
  options: Omit<SimulatorOptions, 'logger' | 'onCrash'>;
}

/** `--help` text. */
export const SIMULATOR_USAGE = `vllm-sim: a stand-in for a vLLM server (OpenAI-compatible HTTP API, vLLM metrics, latency model, faults)

Usage: tsx apps/vllm-sim/src/main.ts [flags]

Example:
  tsx apps/vllm-sim/src/main.ts --port 8001 --model sim-oracle=oracle --model sim-wrong=wrong
  curl -s localhost:8001/v1/completions -H 'content-type: application/json' -d '{"model":"sim-oracle","prompt":"Hi","max_tokens":32}'

Flags (environment variable in brackets; flags win):
  --model NAME=MODE[:RULES]  served model, repeatable; MODE is echo | scripted | oracle | wrong | replay;
                             scripted takes a JSONL rules file, replay a published MINT run directory
                             [VLLM_SIM_MODELS, comma-separated]
  --host HOST                listen address, default 127.0.0.1 [VLLM_SIM_HOST]
  --port PORT                listen port, default 8000; 0 picks a free one [VLLM_SIM_PORT]
  --max-model-len N          context length, default 4096 [VLLM_SIM_MAX_MODEL_LEN]
  --max-logprobs N           most log-probability alternatives a request may ask for, default 20; 0 answers
                             every request for alternatives with vLLM's 400 [VLLM_SIM_MAX_LOGPROBS]
  --max-num-seqs N           requests decoding at once, more wait FIFO; default 64 [VLLM_SIM_MAX_NUM_SEQS]
  --block-size N             tokens per KV-cache block, default 16 [VLLM_SIM_BLOCK_SIZE]
  --kv-cache-blocks N        KV-cache capacity in blocks; requests that do not fit wait
                             [VLLM_SIM_KV_CACHE_BLOCKS]
  --kv-cache-tokens N        the same capacity in tokens, default max-model-len x max-num-seqs / 4
                             [VLLM_SIM_KV_CACHE_TOKENS]
  --prefix-cache-blocks N    blocks the prefix cache keeps (LRU), default the KV capacity; 0 disables
                             [VLLM_SIM_PREFIX_CACHE_BLOCKS]
  --fast                     zero latency, for tests [VLLM_SIM_FAST=1]
  --ttft-ms MS               base time to first token, default 20 [VLLM_SIM_TTFT_MS]
  --ttft-per-token-ms MS     prefill time per prompt token not in the prefix cache, default 0.02
                             [VLLM_SIM_TTFT_PER_TOKEN_MS]
  --tpot-ms MS               time per output token, default 2 [VLLM_SIM_TPOT_MS]
  --batch-slowdown F         tpot grows by F per extra running request, default 0.01 [VLLM_SIM_BATCH_SLOWDOWN]
  --error-rate F             fraction of requests answered 500 [VLLM_SIM_ERROR_RATE]
  --stall-rate F             fraction of streams that stop after the first token [VLLM_SIM_STALL_RATE]
  --crash-after N            exit when request N+1 arrives; 0 = never [VLLM_SIM_CRASH_AFTER]
  --fault-seed N             seed of the fault pattern, default 0 [VLLM_SIM_FAULT_SEED]
  --datasets-dir DIR         benchmark data for oracle/wrong, default /work/shared/datasets [LEMUR_DATASETS_DIR]
  --scripted-default TEXT    answer of scripted models when no rule matches, default empty [VLLM_SIM_SCRIPTED_DEFAULT]
  --body-limit-bytes N       largest request body, default 8388608 [VLLM_SIM_BODY_LIMIT_BYTES]
  --log-level LEVEL          pino level, default info [VLLM_SIM_LOG_LEVEL]
  --help                     this text
`;

type Env = Readonly<Record<string, string | undefined>>;

function number(name: string, raw: string | undefined, check: (n: number) => boolean, rule: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) {
    throw new SimulatorConfigError(`${name} must be ${rule}, got "${raw}"`);
  }
  return value;
}

const nonNegativeInt = (n: number): boolean => Number.isInteger(n) && n >= 0;
const positiveInt = (n: number): boolean => Number.isInteger(n) && n >= 1;
const nonNegative = (n: number): boolean => n >= 0;
const fraction = (n: number): boolean => n >= 0 && n <= 1;

/** Parses `NAME=MODE[:RULES_FILE]`. */
export function parseModelSpec(spec: string, scriptedDefault: string | undefined): SimulatorModel {
  const match = /^([^=\s]+)=([a-z]+)(?::(.+))?$/.exec(spec.trim());
  if (!match) throw new SimulatorConfigError(`--model "${spec}" must look like NAME=MODE or NAME=scripted:RULES.jsonl`);
  const [, name = '', mode = '', rulesFile] = match;
  if (!(ANSWER_MODES as readonly string[]).includes(mode)) {
    throw new SimulatorConfigError(`--model "${spec}": unknown mode "${mode}"; use one of ${ANSWER_MODES.join(', ')}`);
  }
  const answerMode = mode as AnswerMode;
  if (answerMode === 'scripted') {
    return {
      name,
      mode: 'scripted',
      ...(rulesFile !== undefined ? { rulesFile } : {}),
      ...(scriptedDefault !== undefined ? { defaultCompletion: scriptedDefault } : {}),
    };
  }
  if (answerMode === 'replay') {
    if (rulesFile === undefined) throw new SimulatorConfigError(`--model "${spec}": replay needs a run directory, NAME=replay:DIR`);
    return { name, mode: 'replay', runDir: rulesFile };
  }
  if (rulesFile !== undefined) throw new SimulatorConfigError(`--model "${spec}": only scripted and replay models take a file`);
  return { name, mode: answerMode };
}

/** Reads flags over environment variables into validated simulator options. */
export function parseSimulatorConfig(argv: readonly string[], env: Env): SimulatorCliConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string', multiple: true },
        host: { type: 'string' },
        port: { type: 'string' },
        'max-model-len': { type: 'string' },
        'max-logprobs': { type: 'string' },
        'max-num-seqs': { type: 'string' },
        'max-concurrent-seqs': { type: 'string' },
        'kv-cache-tokens': { type: 'string' },
        'kv-cache-blocks': { type: 'string' },
        'block-size': { type: 'string' },
        'prefix-cache-blocks': { type: 'string' },
        fast: { type: 'boolean' },
        'ttft-ms': { type: 'string' },
        'ttft-per-token-ms': { type: 'string' },
        'tpot-ms': { type: 'string' },
        'batch-slowdown': { type: 'string' },
        'error-rate': { type: 'string' },
        'stall-rate': { type: 'string' },
        'crash-after': { type: 'string' },
        'fault-seed': { type: 'string' },
        'datasets-dir': { type: 'string' },
        'scripted-default': { type: 'string' },
        'body-limit-bytes': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new SimulatorConfigError(`${(err as Error).message}; see --help`);
  }
  const pick = (flag: keyof typeof values, envName: string): string | undefined => {
    const value = values[flag];
    return typeof value === 'string' ? value : env[envName];
  };
  const help = values.help === true;
  const scriptedDefault = pick('scripted-default', 'VLLM_SIM_SCRIPTED_DEFAULT');
  const modelSpecs =
    values.model ??
    (env.VLLM_SIM_MODELS ?? '')
      .split(',')
      .map((spec) => spec.trim())
      .filter((spec) => spec !== '');
  if (modelSpecs.length === 0 && !help) {
    throw new SimulatorConfigError('no models configured; pass --model NAME=MODE (e.g. --model sim=echo) or set VLLM_SIM_MODELS');
  }
  const models = modelSpecs.map((spec) => parseModelSpec(spec, scriptedDefault));

  const timeModel = {
    ttftBaseMs: number('--ttft-ms', pick('ttft-ms', 'VLLM_SIM_TTFT_MS'), nonNegative, 'a number >= 0'),
    ttftPerPromptTokenMs: number('--ttft-per-token-ms', pick('ttft-per-token-ms', 'VLLM_SIM_TTFT_PER_TOKEN_MS'), nonNegative, 'a number >= 0'),
    tpotMs: number('--tpot-ms', pick('tpot-ms', 'VLLM_SIM_TPOT_MS'), nonNegative, 'a number >= 0'),
    batchSlowdownPerSeq: number('--batch-slowdown', pick('batch-slowdown', 'VLLM_SIM_BATCH_SLOWDOWN'), nonNegative, 'a number >= 0'),
  };
  const faults = {
    errorRate: number('--error-rate', pick('error-rate', 'VLLM_SIM_ERROR_RATE'), fraction, 'between 0 and 1'),
    stallRate: number('--stall-rate', pick('stall-rate', 'VLLM_SIM_STALL_RATE'), fraction, 'between 0 and 1'),
    crashAfterRequests: number('--crash-after', pick('crash-after', 'VLLM_SIM_CRASH_AFTER'), nonNegativeInt, 'an integer >= 0'),
    seed: number('--fault-seed', pick('fault-seed', 'VLLM_SIM_FAULT_SEED'), Number.isInteger, 'an integer'),
  };
  const fastRaw = env.VLLM_SIM_FAST;
  const fast = values.fast === true || fastRaw === '1' || fastRaw === 'true';
  const maxNumSeqs = values['max-num-seqs'] ?? values['max-concurrent-seqs'] ?? env.VLLM_SIM_MAX_NUM_SEQS;
  const datasetsDir = values['datasets-dir'] ?? env.LEMUR_DATASETS_DIR;

  const options: SimulatorCliConfig['options'] = {
    models,
    host: pick('host', 'VLLM_SIM_HOST') ?? '127.0.0.1',
    port: number('--port', pick('port', 'VLLM_SIM_PORT'), (n) => nonNegativeInt(n) && n <= 65535, 'a port number') ?? 8000,
    fast,
    timeModel: dropUndefined(timeModel),
    faults: dropUndefined(faults),
  };
  const maxModelLen = number('--max-model-len', pick('max-model-len', 'VLLM_SIM_MAX_MODEL_LEN'), positiveInt, 'an integer >= 1');
  const maxConcurrentSeqs = number('--max-num-seqs', maxNumSeqs, positiveInt, 'an integer >= 1');
  const kvCacheTokens = number('--kv-cache-tokens', pick('kv-cache-tokens', 'VLLM_SIM_KV_CACHE_TOKENS'), positiveInt, 'an integer >= 1');
  const blockSize = number('--block-size', pick('block-size', 'VLLM_SIM_BLOCK_SIZE'), positiveInt, 'an integer >= 1');
  const kvCacheBlocks = number('--kv-cache-blocks', pick('kv-cache-blocks', 'VLLM_SIM_KV_CACHE_BLOCKS'), positiveInt, 'an integer >= 1');
  const prefixCacheBlocks = number(
    '--prefix-cache-blocks',
    pick('prefix-cache-blocks', 'VLLM_SIM_PREFIX_CACHE_BLOCKS'),
    nonNegativeInt,
    'an integer >= 0',
  );
  const bodyLimitBytes = number('--body-limit-bytes', pick('body-limit-bytes', 'VLLM_SIM_BODY_LIMIT_BYTES'), positiveInt, 'an integer >= 1');
  if (maxModelLen !== undefined) options.maxModelLen = maxModelLen;
  const maxLogprobs = number('--max-logprobs', pick('max-logprobs', 'VLLM_SIM_MAX_LOGPROBS'), nonNegativeInt, 'an integer >= 0');
  if (maxLogprobs !== undefined) options.maxLogprobs = maxLogprobs;
  if (maxConcurrentSeqs !== undefined) options.maxConcurrentSeqs = maxConcurrentSeqs;
  if (kvCacheTokens !== undefined) options.kvCacheTokens = kvCacheTokens;
  if (blockSize !== undefined) options.blockSize = blockSize;
  if (kvCacheBlocks !== undefined) options.kvCacheBlocks = kvCacheBlocks;
  if (prefixCacheBlocks !== undefined) options.prefixCacheBlocks = prefixCacheBlocks;
  if (bodyLimitBytes !== undefined) options.bodyLimitBytes = bodyLimitBytes;
  if (datasetsDir !== undefined) options.datasetsDir = datasetsDir;

  const parentPid = Number(env.LEMUR_PARENT_PID);
  return {
    help,
    logLevel: pick('log-level', 'VLLM_SIM_LOG_LEVEL') ?? 'info',
    options,
    ...(Number.isInteger(parentPid) && parentPid > 0 ? { parentPid } : {}),
  };
}

function dropUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** The process's own flags and environment. */
export function readSimulatorConfig(): SimulatorCliConfig {
  return parseSimulatorConfig(process.argv.slice(2), process.env);
}
